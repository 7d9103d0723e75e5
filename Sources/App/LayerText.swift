import BuildCore
import Foundation
import TUI

/// The text forms of a `LayerReport`: the layer table with the efficiency and the wasted files,
/// one layer's files, and JSON for scripts.
enum LayerText {
    static func table(_ report: LayerReport, image: String) -> String {
        let e = report.efficiency
        var out = "\(image): \(report.layers.count) layer\(report.layers.count == 1 ? "" : "s"), \(ByteCount.format(e.sizeBytes))\n"
        out += "  #  SIZE       SHARE    ADDED CHANGED REMOVED  MADE BY\n"
        for (i, layer) in report.layers.enumerated() {
            let a = layer.analyzed
            let share = e.sizeBytes > 0 ? Double(a.size) / Double(e.sizeBytes) * 100 : 0
            out += "  " + padColumn("\(i + 1)", 2, right: true) + " " + padColumn(ByteCount.format(a.size), 10) + " "
                + padColumn(String(format: "%.1f%%", share), 6, right: true) + " " + padColumn("\(a.added)", 8, right: true)
                + " " + padColumn("\(a.changed)", 7, right: true) + " " + padColumn("\(a.removed)", 7, right: true) + "  "
                + oneLine(layer.title) + "\n"
        }
        out += "\nefficiency \(String(format: "%.2f", e.score * 100))%, wasted \(ByteCount.format(e.wastedBytes))"
        out += " (\(String(format: "%.1f", e.userWastedPercent * 100))% of the \(ByteCount.format(e.userSizeBytes)) the layers above the first add)\n"
        if !e.files.isEmpty {
            out += "  WASTED     FILE  (layers that wrote or removed it)\n"
            for file in e.files.prefix(20) {
                let places = file.layers.map { index -> String in
                    let layer = report.layers[index]
                    return "\(index + 1)" + (layer.origin?.location.map { " \($0)" } ?? "")
                }.joined(separator: ", ")
                out += "  " + padColumn(ByteCount.format(file.bytes), 10) + " /" + file.path + "  (" + places + ")\n"
            }
            if e.files.count > 20 { out += "  … and \(e.files.count - 20) more (--format json lists all)\n" }
        }
        return out
    }

    /// One layer's entries with their change: `+` added, `~` changed, `-` removed.
    static func files(_ layer: LayerReport.Layer, filter: LayerExplorer.Filter) -> String {
        var out = "\(oneLine(layer.title)): \(ByteCount.format(layer.analyzed.size)), +\(layer.analyzed.added) ~\(layer.analyzed.changed) -\(layer.analyzed.removed)\n"
        for change in layer.analyzed.changes {
            switch (filter, change.kind) {
            case (_, .unchanged) where change.file.kind == .directory: continue
            case (.all, _), (.added, .added), (.changed, .changed), (.removed, .removed): break
            default: continue
            }
            let mark = switch change.kind {
            case .added: "+"
            case .changed: "~"
            case .removed: "-"
            case .unchanged: " "
            }
            let f = change.file
            var line = mark + " " + (f.kind == .whiteout ? "----------" : modeString(f)) + " " + padColumn("\(f.uid):\(f.gid)", 11)
                + padColumn(ByteCount.format(change.kind == .removed ? change.removedSize : f.size), 10, right: true) + "  /" + f.path
            if let target = f.linkTarget { line += (f.kind == .symlink ? " -> " : " link to /") + target }
            out += line + "\n"
        }
        return out
    }

    static func json(_ report: LayerReport, image: String) -> String {
        struct Layer: Encodable {
            var id: String
            var size: Int64
            var added: Int
            var changed: Int
            var removed: Int
            var step: String?
            var location: String?
            var createdBy: String?
        }
        struct Output: Encodable {
            var image: String
            var layers: [Layer]
            var efficiency: ImageEfficiency
        }
        let layers = report.layers.map {
            Layer(id: $0.id, size: $0.analyzed.size, added: $0.analyzed.added, changed: $0.analyzed.changed,
                  removed: $0.analyzed.removed, step: $0.origin?.step, location: $0.origin?.location, createdBy: $0.createdBy)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Output(image: image, layers: layers, efficiency: report.efficiency))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func modeString(_ file: LayerFile) -> String { LayerExplorer.modeString(file) }

    private static func oneLine(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count > 100 ? String(flat.prefix(99)) + "…" : flat
    }

}
