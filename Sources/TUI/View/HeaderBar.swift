import BuildCore
import Foundation

/// The top line: what is being built and how far it got.
/// `swbuild  demo:latest  ⠹ running  12.3s  steps 7/15  cached 3  ETA ~8.0s  ⚠ 1 warning`
///
/// When the line is too narrow, fields go in order of least use (warnings, ETA, cached, the
/// product name, the target); the status, elapsed time and step count go last.
enum HeaderBar {
    private struct Field {
        var text: String
        var style: Style
        /// Lower goes first when space runs out.
        var priority: Int
    }

    static func draw(_ state: DashboardState, rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        guard !rect.isEmpty else { return }
        grid.fill(rect, style: .header)
        var fields = self.fields(state, glyphs: glyphs)
        func total() -> Int { fields.reduce(0) { $0 + $1.text.count + 2 } }
        while total() > rect.width + 1, let drop = fields.indices.min(by: { fields[$0].priority < fields[$1].priority }) {
            fields.remove(at: drop)
        }
        var x = rect.x + 1
        for field in fields {
            x += grid.put(field.text, x: x, y: rect.y, style: field.style, width: rect.maxX - x) + 2
        }
    }

    private static func fields(_ state: DashboardState, glyphs: Glyphs) -> [Field] {
        var fields = [Field(text: "swbuild", style: .header, priority: 3)]
        if let playback = state.playback {
            let title = CellGrid.trim(playback.title, to: 24, ellipsis: glyphs.ellipsis)
            fields.append(Field(text: title.isEmpty ? "replay" : "replay " + title, style: .header, priority: 5))
        }
        fields.append(Field(text: target(state), style: .header, priority: 4))
        let (glyph, style) = statusGlyph(state, glyphs: glyphs)
        fields.append(Field(text: "\(glyph) \(state.status.rawValue)", style: style, priority: 9))
        if state.cancelRequested, !state.finished {
            fields.append(Field(text: "canceling", style: .warning, priority: 8))
        }
        if let elapsed = state.elapsed {
            fields.append(Field(text: DurationText.format(elapsed), style: .header, priority: 8))
        }
        let succeeded = state.count(.done) + state.count(.cached)
        fields.append(Field(text: "steps \(succeeded)/\(state.steps.count)", style: .header, priority: 7))
        fields.append(Field(text: "cached \(state.count(.cached))", style: .header, priority: 2))
        if let eta = BuildEstimate(state) {
            fields.append(Field(text: "ETA \(eta.isLowerBound ? "≥" : "~")\(DurationText.format(eta.seconds))"
                                    .replacingOccurrences(of: "≥", with: state.ascii ? ">=" : "≥"),
                                style: .header, priority: 1))
        }
        let warnings = state.warningCount
        if warnings > 0 {
            fields.append(Field(text: "\(glyphs.warning) \(warnings) warning\(warnings == 1 ? "" : "s")", style: .warning, priority: 0))
        }
        return fields
    }

    /// The image name, else the target stage, else the context directory.
    private static func target(_ state: DashboardState) -> String {
        guard let build = state.build else { return "waiting for the build" }
        if let tag = build.tags.first { return tag + (build.tags.count > 1 ? " +\(build.tags.count - 1)" : "") }
        if let target = build.target { return "--target " + target }
        return build.contextPath
    }

    private static func statusGlyph(_ state: DashboardState, glyphs: Glyphs) -> (Character, Style) {
        switch state.status {
        case .running: return glyphs.status(.running, frame: DashboardRenderer.frame(state))
        case .succeeded: return (glyphs.done, .done)
        case .failed: return (glyphs.failed, .failed)
        case .canceled: return (glyphs.canceled, .canceled)
        }
    }
}
