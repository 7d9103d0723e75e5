import BuildCore

/// Where the build view puts each lane and step: computed once per frame from the state and the
/// area, and used both to draw and to hit-test mouse clicks, so what is clicked is what was drawn.
///
/// - At 120 columns or more, lanes go in two columns (each lane to the shorter column, in lane
///   order), so stages that run at the same time sit side by side; narrower, they are stacked.
/// - When a column does not fit, lanes whose steps all succeeded fold into their title row,
///   oldest first, never the lane holding the selection. Running lanes so stay visible together.
/// - If it still does not fit, the column scrolls to keep its focus row in view (the selection,
///   else the newest running step), with `↑ N more` / `↓ N more` rows marking what is hidden.
struct LaneLayout: Sendable {
    enum Content: Sendable, Equatable {
        case lane(Int, collapsed: Bool)
        case step(Digest)
        case more(count: Int, above: Bool)
    }

    struct Row: Sendable, Equatable {
        var content: Content
        var x: Int
        var y: Int
        var width: Int
    }

    /// Screens this wide or wider get two lane columns.
    static let twoColumnWidth = 120

    let lanes: [Lane]
    private(set) var rows: [Row] = []
    /// Column separators (x of each `│`).
    private(set) var separators: [Int] = []

    /// How many columns, for `lanes` lanes on a screen `screenWidth` wide.
    static func columnCount(screenWidth: Int, lanes: Int) -> Int {
        screenWidth >= twoColumnWidth && lanes >= 2 ? 2 : 1
    }

    /// Lane indices per column, each lane going to the column with fewer rows so far.
    static func assign(_ lanes: [Lane], columns: Int) -> [[Int]] {
        var result = Array(repeating: [Int](), count: max(1, columns))
        var heights = Array(repeating: 0, count: result.count)
        for (i, lane) in lanes.enumerated() {
            let c = heights.indices.min { heights[$0] < heights[$1] } ?? 0
            result[c].append(i)
            heights[c] += 1 + lane.steps.count
        }
        return result
    }

    /// Rows the tallest column needs with every lane unfolded.
    static func neededHeight(_ lanes: [Lane], screenWidth: Int) -> Int {
        let columns = assign(lanes, columns: columnCount(screenWidth: screenWidth, lanes: lanes.count))
        return columns.map { $0.reduce(0) { $0 + 1 + lanes[$1].steps.count } }.max() ?? 0
    }

    init(state: DashboardState, lanes: [Lane], rect: Rect, screenWidth: Int) {
        self.lanes = lanes
        guard !rect.isEmpty, !lanes.isEmpty else { return }
        let columns = Self.assign(lanes, columns: Self.columnCount(screenWidth: screenWidth, lanes: lanes.count))
        let columnWidth = columns.count == 1 ? rect.width : (rect.width - (columns.count - 1)) / columns.count
        for (c, laneIndices) in columns.enumerated() {
            let x = rect.x + c * (columnWidth + 1)
            if c > 0 { separators.append(x - 1) }
            let contents = Self.column(state: state, lanes: lanes, indices: laneIndices, height: rect.height)
            for (r, content) in contents.enumerated() {
                rows.append(Row(content: content, x: x, y: rect.y + r, width: columnWidth))
            }
        }
    }

    /// Rows used by the tallest column: less than the area when folding made room to spare.
    var usedHeight: Int {
        guard let top = rows.map(\.y).min(), let bottom = rows.map(\.y).max() else { return 0 }
        return bottom - top + 1
    }

    /// The row at a screen position.
    func row(atX x: Int, y: Int) -> Row? {
        rows.first { $0.y == y && x >= $0.x && x < $0.x + $0.width }
    }

    private static func column(state: DashboardState, lanes: [Lane], indices: [Int], height: Int) -> [Content] {
        var folded = Set<Int>()
        func contents() -> [Content] {
            indices.flatMap { i -> [Content] in
                folded.contains(i) ? [.lane(i, collapsed: true)]
                    : [.lane(i, collapsed: false)] + lanes[i].steps.map { .step($0) }
            }
        }
        var all = contents()
        for i in indices where all.count > height {
            let lane = lanes[i]
            let settled = lane.steps.allSatisfy { d in
                let s = state.step(d)?.status
                return s == .done || s == .cached
            }
            guard settled, !lane.steps.contains(where: { $0 == state.selected }) else { continue }
            folded.insert(i)
            all = contents()
        }
        guard all.count > height else { return all }
        var focus = 0
        if let selected = state.selected, let i = all.firstIndex(of: .step(selected)) {
            focus = i
        } else if let i = all.lastIndex(where: { content in
            if case .step(let d) = content { return state.step(d)?.status == .running }
            return false
        }) {
            focus = i
        }
        let offset = min(max(0, focus - (height - 2)), all.count - height)
        var visible = Array(all[offset..<(offset + height)])
        if offset > 0, height >= 3 { visible[0] = .more(count: offset + 1, above: true) }
        let below = all.count - offset - height
        if below > 0, height >= 3 { visible[height - 1] = .more(count: below + 1, above: false) }
        return visible
    }
}
