import BuildCore
import Foundation

/// Draws the layer explorer into a rectangle: two header lines (the layer, its size and share,
/// the filter and the image's efficiency), then the file tree or the wasted-space list, and the
/// explorer's keys on the last line.
enum LayerExplorerView {
    /// Rows of the tree or list for a body of `height` lines (what a page moves).
    static func listHeight(_ height: Int) -> Int { max(1, height - 4) }

    static func draw(_ explorer: LayerExplorer, rect: Rect, ascii: Bool, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        grid.fill(rect)
        let dot = ascii ? "|" : "·"
        var y = rect.y
        let report = explorer.report
        if let layer = explorer.current {
            var line = StyledLine(" Layer \(explorer.layer + 1)/\(report.layers.count) ", .title)
            line.append(layer.title, .bold)
            line.draw(x: rect.x, y: y, width: rect.width, into: &grid)
            y += 1
            let share = explorer.imageSize > 0 ? Double(layer.analyzed.size) / Double(explorer.imageSize) * 100 : 0
            var stats = StyledLine(" \(ByteCount.format(layer.analyzed.size)) \(dot) \(String(format: "%.1f", share))% of the image \(dot) ")
            stats.append("+\(layer.analyzed.added)", .done)
            stats.append(" ")
            stats.append("~\(layer.analyzed.changed)", .running)
            stats.append(" ")
            stats.append("-\(layer.analyzed.removed)", .failed)
            stats.append("   ")
            for f in LayerExplorer.Filter.allCases {
                stats.append(f.rawValue, f == explorer.filter ? .selected : .dim)
                stats.append(" ")
            }
            let e = report.efficiency
            stats.append("  efficiency \(String(format: "%.1f", e.score * 100))% \(dot) wasted \(ByteCount.format(e.wastedBytes))",
                         e.score < 0.9 ? .warning : .dim)
            stats.draw(x: rect.x, y: y, width: rect.width, into: &grid)
        } else {
            grid.put(" \(explorer.title): no layers", x: rect.x, y: y, style: .title, width: rect.width)
        }
        y += 1
        grid.hline(x: rect.x, y: y, width: rect.width, ascii ? "-" : "─", style: .border)
        y += 1
        let list = Rect(x: rect.x, y: y, width: rect.width, height: listHeight(rect.height))
        if explorer.showWasted { drawWasted(explorer, rect: list, into: &grid) } else { drawTree(explorer, rect: list, ascii: ascii, into: &grid) }
        let hintY = rect.maxY - 1
        if explorer.editing {
            grid.put("/" + explorer.query + (ascii ? "_" : "█"), x: rect.x, y: hintY, style: .prompt, width: rect.width)
        } else {
            let keys: [(String, String)] = explorer.showWasted
                ? [("w", "files"), ("↑↓", "move"), ("q", "close")]
                : [("q", "close"), ("↑↓", "move"), ("space", "fold"), ("[ ]", "layer"), ("f", "filter"), ("/", "search"),
                   ("w", "wasted space")]
            HintBar.drawKeys(flash: explorer.query.isEmpty ? nil : "search: \(explorer.query)",
                             hints: keys.map { (ascii ? $0.0.replacingOccurrences(of: "↑↓", with: "j/k") : $0.0, $0.1) },
                             rect: Rect(x: rect.x, y: hintY, width: rect.width, height: 1), into: &grid)
        }
    }

    private static func drawTree(_ explorer: LayerExplorer, rect: Rect, ascii: Bool, into grid: inout CellGrid) {
        guard let layer = explorer.current else { return }
        if explorer.rows.isEmpty {
            grid.put("  nothing \(explorer.filter == .all ? "in this layer" : explorer.filter.rawValue)"
                     + (explorer.query.isEmpty ? "" : " matching \"\(explorer.query)\""),
                     x: rect.x, y: rect.y, style: .dim, width: rect.width)
            return
        }
        let changes = layer.analyzed.changes
        for (i, row) in explorer.rows.enumerated().dropFirst(explorer.top).prefix(rect.height) {
            let y = rect.y + i - explorer.top
            let change = changes[row.entry]
            let file = change.file
            let (mark, markStyle): (String, Style) = switch change.kind {
            case .added: ("+", .done)
            case .changed: ("~", .running)
            case .removed: ("-", .failed)
            case .unchanged: (" ", .dim)
            }
            var line = StyledLine(" " + mark + " ", markStyle)
            line.append(file.kind == .whiteout ? "----------" : LayerExplorer.modeString(file), .dim)
            line.append(" " + padColumn("\(file.uid):\(file.gid)", 11), .dim)
            line.append(padColumn(ByteCount.format(row.size), 9, right: true) + "  ")
            let indent = String(repeating: "  ", count: row.depth)
            let fold = row.hasChildren ? (explorer.folded.contains(file.path) ? (ascii ? "+ " : "▸ ") : (ascii ? "- " : "▾ ")) : "  "
            let name = file.path.split(separator: "/").last.map(String.init) ?? file.path
            var shown = name + (file.kind == .directory ? "/" : "")
            if let target = file.linkTarget, file.kind == .symlink || file.kind == .hardlink {
                shown += (file.kind == .symlink ? " → " : " link to ") + target
            }
            line.append(indent + fold, .dim)
            line.append(shown, change.kind == .removed ? .failed : (file.kind == .directory ? .bold : .normal))
            line.draw(x: rect.x, y: y, width: rect.width, into: &grid)
            if i == explorer.cursor { grid.restyle(x: rect.x, y: y, width: rect.width, style: .selected) }
        }
    }

    private static func drawWasted(_ explorer: LayerExplorer, rect: Rect, into grid: inout CellGrid) {
        let e = explorer.report.efficiency
        var header = StyledLine(" \(padColumn("WASTED", 10)) \(padColumn("FILE", 40)) PUT THERE BY", .title)
        if e.files.isEmpty {
            header = StyledLine("  no wasted space: no file is written twice or deleted by a later layer", .dim)
        }
        header.draw(x: rect.x, y: rect.y, width: rect.width, into: &grid)
        let body = Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1)
        for (i, file) in e.files.enumerated().dropFirst(explorer.top).prefix(body.height) {
            let y = body.y + i - explorer.top
            var line = StyledLine(" " + padColumn(ByteCount.format(file.bytes), 10, right: true) + " ", .warning)
            line.append(padColumn("/" + file.path, 40) + " ")
            line.append(file.layers.map { index -> String in
                let layer = explorer.report.layers.indices.contains(index) ? explorer.report.layers[index] : nil
                return layer?.origin?.location ?? "layer \(index + 1)"
            }.joined(separator: ", "), .dim)
            line.draw(x: body.x, y: y, width: body.width, into: &grid)
            if i == explorer.cursor { grid.restyle(x: body.x, y: y, width: body.width, style: .selected) }
        }
    }

}
