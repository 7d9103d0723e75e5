import BuildCore
import Foundation

/// The history table's columns for a screen width: id, status, duration, steps, cached share,
/// when, then the name in what is left. On a narrow screen the numbers go first (steps, cached,
/// duration, then when), so the name keeps at least 12 cells.
struct RecentColumns: Sendable {
    enum Field: Sendable, CaseIterable {
        case id, host, status, duration, steps, cached, when

        var title: String {
            switch self {
            case .id: return "ID"
            case .host: return "CONTEXT"
            case .status: return "STATUS"
            case .duration: return "DURATION"
            case .steps: return "STEPS"
            case .cached: return "CACHED"
            case .when: return "WHEN"
            }
        }

        var width: Int {
            switch self {
            case .id: return 12
            case .host: return 10
            case .status: return 13
            case .duration: return 8
            case .steps: return 5
            case .cached: return 6
            case .when: return 9
            }
        }

        /// Numbers and times line up on the right.
        var alignRight: Bool { self != .id && self != .status && self != .host }
    }

    /// The columns shown, in order, each with its x.
    private(set) var fields: [(field: Field, x: Int)] = []
    private(set) var nameX = 0
    let width: Int

    static let firstX = 2
    static let minimumName = 12

    /// `hosts`: the rows come from several contexts, so a CONTEXT column says whose each is.
    init(width: Int, hosts: Bool = false) {
        self.width = width
        var shown = Field.allCases.filter { hosts || $0 != .host }
        for drop in [Field.steps, .cached, .duration, .when] where Self.nameX(shown) + Self.minimumName > width {
            shown.removeAll { $0 == drop }
        }
        var x = Self.firstX
        for field in shown {
            fields.append((field, x))
            x += field.width + 1
        }
        nameX = x + 1
    }

    private static func nameX(_ fields: [Field]) -> Int {
        firstX + fields.reduce(0) { $0 + $1.width + 1 } + 1
    }

    func drawHeader(y: Int, into grid: inout CellGrid) {
        for (field, x) in fields {
            put(field.title, field: field, x: x, y: y, style: .dim, into: &grid)
        }
        grid.put("NAME", x: nameX, y: y, style: .dim, width: width - nameX)
    }

    func draw(_ build: HomeEntries.RecentBuild, state: HomeState, y: Int, glyphs: Glyphs, into grid: inout CellGrid) {
        for (field, x) in fields {
            switch field {
            case .id:
                // A prefix, as `docker` shows ids: any unique prefix names the build.
                grid.put(build.id.prefix(field.width), x: x, y: y, style: .bold, width: field.width)
            case .host:
                put(build.host ?? "", field: field, x: x, y: y, style: .dim, into: &grid)
            case .status:
                let (glyph, style) = Self.status(build.status, glyphs: glyphs)
                put("\(glyph) \(build.status.rawValue)", field: field, x: x, y: y, style: style, into: &grid)
            case .duration:
                put(DurationText.format(build.duration), field: field, x: x, y: y, style: .normal, into: &grid)
            case .steps:
                put(String(build.steps), field: field, x: x, y: y, style: .normal, into: &grid)
            case .cached:
                let share = build.steps > 0 ? "\(build.cached * 100 / build.steps)%" : "-"
                put(share, field: field, x: x, y: y, style: build.cached > 0 ? .cached : .dim, into: &grid)
            case .when:
                put(DurationText.ago(state.now.timeIntervalSince(build.started)), field: field, x: x, y: y, style: .dim,
                    into: &grid)
            }
        }
        grid.putTrimmed(build.name, x: nameX, y: y, width: width - nameX - 1, style: .normal, ellipsis: glyphs.ellipsis)
    }

    private func put(_ text: String, field: Field, x: Int, y: Int, style: Style, into grid: inout CellGrid) {
        let cut = String(text.prefix(field.width))
        grid.put(cut, x: field.alignRight ? x + field.width - cut.count : x, y: y, style: style, width: field.width)
    }

    static func status(_ status: HomeEntries.RecentBuild.Status, glyphs: Glyphs) -> (Character, Style) {
        switch status {
        case .succeeded: return (glyphs.done, .done)
        case .failed: return (glyphs.failed, .failed)
        case .canceled: return (glyphs.canceled, .canceled)
        case .interrupted: return (glyphs.warning, .warning)
        }
    }
}
