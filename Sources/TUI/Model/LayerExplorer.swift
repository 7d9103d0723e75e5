import BuildCore
import Foundation

/// The layer explorer (`l` on a step, `swbuild-tui layers IMAGE`): one layer's added, changed
/// and removed files as a tree with sizes, owners and modes, and the image's wasted space.
///
/// A value like the rest of the dashboard: keys change it, `LayerExplorerView` draws it. The
/// visible rows are recomputed only when the layer, filter, folds or search change, by linear
/// passes over the layer's entries (already in depth-first order), so a 100,000-file layer
/// stays responsive.
public struct LayerExplorer: Sendable, Equatable {
    public enum Filter: String, Sendable, CaseIterable { case all, added, changed, removed }

    /// One visible line of the tree.
    struct Row: Sendable, Equatable {
        /// Index into the layer's changes.
        var entry: Int
        var depth: Int
        /// For a directory: the bytes of the shown entries below it; else the entry's own.
        var size: Int64
        var hasChildren: Bool
    }

    public let title: String
    public let report: LayerReport
    var layer: Int
    var filter: Filter = .all
    /// Directories folded, by path, per layer.
    var folded: Set<String> = []
    var query = ""
    var editing = false
    var cursor = 0
    var top = 0
    var showWasted = false
    private(set) var rows: [Row] = []
    /// Rows a page moves (the view's height, set by `resize`).
    var page = 20

    /// Opens on `layer` (default: the top one, the step's own).
    public init(title: String, report: LayerReport, layer: Int? = nil) {
        self.title = title
        self.report = report
        self.layer = min(max(0, layer ?? report.layers.count - 1), max(0, report.layers.count - 1))
        rebuild()
    }

    var current: LayerReport.Layer? { report.layers.indices.contains(layer) ? report.layers[layer] : nil }

    /// Bytes of every layer together, for the share of the current one.
    var imageSize: Int64 { report.efficiency.sizeBytes }

    // MARK: Keys

    /// Applies a key; false when the explorer should close.
    mutating func handle(_ key: Key) -> Bool {
        if editing { editSearch(key); return true }
        switch key {
        case .esc:
            // One level back: the wasted list, then the search, then the explorer itself.
            if showWasted { toggleWasted() } else if !query.isEmpty {
                query = ""
                rebuild()
            } else {
                return false
            }
        case .char("q"), .char("l"), .interrupt:
            return false
        case .char("w"): toggleWasted()
        case .up, .char("k"), .wheelUp: move(-1)
        case .down, .char("j"), .wheelDown: move(1)
        case .pageUp, .char("b"): move(-page)
        case .pageDown: move(page)
        case .home, .char("g"): move(-Int.max / 2)
        case .end, .char("G"): move(Int.max / 2)
        case .char("["), .char("<"): switchLayer(by: -1)
        case .char("]"), .char(">"): switchLayer(by: 1)
        case .char("f"), .tab:
            let all = Filter.allCases
            filter = all[((all.firstIndex(of: filter) ?? 0) + 1) % all.count]
            rebuild()
        case .char("1"): setFilter(.all)
        case .char("2"): setFilter(.added)
        case .char("3"): setFilter(.changed)
        case .char("4"): setFilter(.removed)
        case .char("/"):
            editing = true
            query = ""
        case .char(" "), .enter: toggleFold()
        case .left, .char("h"): foldOrParent()
        case .right: unfold()
        default: break
        }
        return true
    }

    private mutating func toggleWasted() {
        showWasted.toggle()
        cursor = 0
        top = 0
        if !showWasted { rebuild() }
    }

    private mutating func setFilter(_ f: Filter) {
        filter = f
        rebuild()
    }

    private mutating func editSearch(_ key: Key) {
        switch key {
        case .enter: editing = false
        case .esc, .interrupt:
            editing = false
            query = ""
        case .backspace: if !query.isEmpty { query.removeLast() }
        case .char(let c): query.append(c)
        default: return
        }
        rebuild()
    }

    private mutating func move(_ delta: Int) {
        let count = showWasted ? report.efficiency.files.count : rows.count
        cursor = min(max(0, cursor.addingReportingOverflow(delta).partialValue), max(0, count - 1))
        if cursor < top { top = cursor }
        if cursor >= top + page { top = cursor - page + 1 }
    }

    private mutating func switchLayer(by delta: Int) {
        let target = min(max(0, layer + delta), max(0, report.layers.count - 1))
        guard target != layer else { return }
        layer = target
        folded = []
        cursor = 0
        top = 0
        rebuild()
    }

    private func selectedPath() -> (row: Row, path: String)? {
        guard let current, rows.indices.contains(cursor) else { return nil }
        let row = rows[cursor]
        return (row, current.analyzed.changes[row.entry].file.path)
    }

    private mutating func toggleFold() {
        guard let (row, path) = selectedPath(), row.hasChildren else { return }
        if folded.contains(path) { folded.remove(path) } else { folded.insert(path) }
        rebuild()
    }

    /// `←`: folds an open directory, else moves to the parent directory.
    private mutating func foldOrParent() {
        guard let (row, path) = selectedPath() else { return }
        if row.hasChildren, !folded.contains(path) {
            folded.insert(path)
            rebuild()
            return
        }
        if let parent = rows[..<cursor].lastIndex(where: { $0.depth < row.depth }) { move(parent - cursor) }
    }

    private mutating func unfold() {
        guard let (row, path) = selectedPath(), row.hasChildren, folded.contains(path) else { return }
        folded.remove(path)
        rebuild()
    }

    // MARK: Rows

    func matches(_ change: LayerChange) -> Bool {
        switch filter {
        case .all: return change.kind != .unchanged || change.file.kind != .directory
        case .added: return change.kind == .added
        case .changed: return change.kind == .changed
        case .removed: return change.kind == .removed
        }
    }

    /// The visible rows: entries that pass the filter and the search, with the directories that
    /// lead to them; a folded directory hides what is below it. Sizes add up what is shown.
    mutating func rebuild() {
        rows = []
        guard let current else { return }
        let changes = current.analyzed.changes
        let needle = query.lowercased()
        // Which entries are shown: a backward pass marks matches and the directories above them.
        var shown = [Bool](repeating: false, count: changes.count)
        var depth = [Int](repeating: 0, count: changes.count)
        for (i, c) in changes.enumerated() {
            depth[i] = c.file.path.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "/") ? 1 : 0) }
        }
        var sizes = [Int64](repeating: 0, count: changes.count)
        var shownChild = [Bool](repeating: false, count: changes.count)
        var pending: [(depth: Int, wanted: Bool, size: Int64)] = []   // open descendants' totals, deepest last
        for i in changes.indices.reversed() {
            let c = changes[i]
            var wanted = matches(c) && (needle.isEmpty || c.file.path.lowercased().contains(needle))
            var size = wanted ? (c.kind == .removed ? c.removedSize : c.file.size) : 0
            // Everything deeper that followed this entry is its subtree.
            while let last = pending.last, last.depth > depth[i] {
                pending.removeLast()
                if last.wanted, c.file.kind == .directory {
                    wanted = true
                    shownChild[i] = true
                }
                if c.file.kind == .directory { size += last.size }
            }
            shown[i] = wanted
            sizes[i] = size
            pending.append((depth[i], wanted, size))
        }
        var hiddenBelow: Int? = nil
        for i in changes.indices where shown[i] {
            if let limit = hiddenBelow {
                if depth[i] > limit { continue }
                hiddenBelow = nil
            }
            let hasChildren = shownChild[i]
            rows.append(Row(entry: i, depth: depth[i], size: sizes[i], hasChildren: hasChildren))
            if hasChildren, folded.contains(changes[i].file.path) { hiddenBelow = depth[i] }
        }
        cursor = min(cursor, max(0, rows.count - 1))
        top = min(top, cursor)
    }

    /// `ls -l` style: `drwxr-xr-x`, with setuid/setgid/sticky as `s`/`t`.
    public static func modeString(_ file: LayerFile) -> String {
        let type: Character = switch file.kind {
        case .directory: "d"
        case .symlink: "l"
        case .device: "c"
        case .fifo: "p"
        default: "-"
        }
        var out = String(type)
        let m = file.mode
        for (shift, special, specialChar) in [(6, UInt32(0o4000), "s"), (3, UInt32(0o2000), "s"), (0, UInt32(0o1000), "t")] {
            let bits = (m >> UInt32(shift)) & 7
            out += bits & 4 != 0 ? "r" : "-"
            out += bits & 2 != 0 ? "w" : "-"
            let x = bits & 1 != 0
            if m & special != 0 { out += x ? specialChar : specialChar.uppercased() } else { out += x ? "x" : "-" }
        }
        return out
    }
}
