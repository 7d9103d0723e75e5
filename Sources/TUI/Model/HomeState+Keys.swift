/// The home screen's keys: `↑` `↓` (`k` `j`) move through all rows, `tab` jumps to the next
/// section, enter does the row's main action (attach, replay, build), `i` inspects a build of the
/// history, `c` marks one and `c` on a second compares them, `r` asks for fresh entries, `q`
/// leaves (esc too, once no build is marked).
extension HomeState {
    mutating func handle(_ key: Key) -> [HomeEffect] {
        switch key {
        case .esc where marked != nil:
            marked = nil
            flash = "comparison canceled"
        case .char("q"), .esc, .interrupt: return [.quit]
        case .char("r"): return [.choose(.refresh)]
        case .up, .char("k"), .wheelUp: move(by: -1)
        case .down, .char("j"), .wheelDown: move(by: 1)
        case .pageUp: move(by: -page)
        case .pageDown, .char(" "): move(by: page)
        case .home, .char("g"): moveTo(index: 0)
        case .end, .char("G"): moveTo(index: rows.count - 1)
        case .tab: jumpSection(by: 1)
        case .shiftTab: jumpSection(by: -1)
        case .enter:
            guard let choice = primaryChoice else { return [.bell] }
            return [.choose(choice)]
        case .char("i"): return historyChoice { .inspect(id: $0) }
        case .char("c"): return compareKey()
        case .click(let x, let y):
            guard let hit = HomeLayout(state: self, width: width, height: height).row(atX: x, y: y) else { return [] }
            section = hit.section
            row = hit.row
            keepCursorInView()
        default:
            return []
        }
        return []
    }

    /// Every selectable row, in screen order.
    var rows: [(section: Section, row: Int)] {
        sections.flatMap { section in (0..<count(of: section)).map { (section, $0) } }
    }

    private var page: Int {
        max(1, HomeLayout(state: self, width: width, height: height).recentRows.height - 1)
    }

    private mutating func move(by delta: Int) {
        let rows = self.rows
        guard !rows.isEmpty else { return }
        let current = rows.firstIndex { $0.section == section && $0.row == row } ?? 0
        moveTo(index: min(max(0, current + delta), rows.count - 1))
    }

    private mutating func moveTo(index: Int) {
        let rows = self.rows
        guard !rows.isEmpty else { return }
        let target = rows[min(max(0, index), rows.count - 1)]
        section = target.section
        row = target.row
        keepCursorInView()
    }

    /// The first row of the next (or previous) section that has rows, wrapping around.
    private mutating func jumpSection(by delta: Int) {
        let sections = self.sections
        guard !sections.isEmpty else { return }
        let current = sections.firstIndex(of: section) ?? 0
        section = sections[((current + delta) % sections.count + sections.count) % sections.count]
        row = 0
        keepCursorInView()
    }

    private mutating func historyChoice(_ make: (String) -> HomeChoice) -> [HomeEffect] {
        guard section == .recent, hasSelection else {
            flash = "i and c work on a build of the history"
            return [.bell]
        }
        return [.choose(make(entries.recent[row].id))]
    }

    /// `c`: marks the build under the cursor as the baseline; on another build, compares that
    /// one with it; on the marked build again, unmarks it.
    private mutating func compareKey() -> [HomeEffect] {
        guard section == .recent, hasSelection else {
            flash = "i and c work on a build of the history"
            return [.bell]
        }
        let id = entries.recent[row].id
        switch marked {
        case nil:
            marked = id
            flash = "marked \(id.prefix(12)): c on another build compares"
        case id?:
            marked = nil
            flash = "unmarked"
        case let base?:
            marked = nil
            return [.choose(.compare(base: base, with: id))]
        }
        return []
    }

    /// Scrolls the running and recent lists so the cursor's row is shown.
    mutating func keepCursorInView() {
        let layout = HomeLayout(state: self, width: width, height: height)
        if section == .running { runningTop = Self.top(keeping: row, visible: layout.runningRows.height, from: runningTop) }
        if section == .recent { recentTop = Self.top(keeping: row, visible: layout.recentRows.height, from: recentTop) }
    }

    /// The first row to show so that `row` is among `visible` rows, moving `top` as little as possible.
    static func top(keeping row: Int, visible: Int, from top: Int) -> Int {
        guard visible > 0 else { return max(0, row) }
        return max(0, min(max(top, row - visible + 1), row))
    }
}
