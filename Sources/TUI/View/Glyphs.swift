/// The characters the dashboard draws with, in Unicode or, when the locale is not UTF-8, in
/// ASCII. Every glyph is one cell wide in both sets, so layouts are identical and only the
/// characters differ. (That is why a cache hit is `=` in both: `⚡` is an emoji that most
/// terminals draw two cells wide, which would shift the rest of its row.)
struct Glyphs: Sendable {
    let queued: Character
    let spinner: [Character]
    let done: Character
    let cached: Character
    let failed: Character
    let canceled: Character
    let hit: Character
    let miss: Character
    let pending: Character
    let horizontal: Character
    let vertical: Character
    let barFull: Character
    let barEmpty: Character
    /// Partial bar cells, 1/8 to 7/8 (ASCII has none and rounds down).
    let barEighths: [Character]
    let spark: [Character]
    let critical: Character
    let bar: Character
    let ellipsis: String
    let up: Character
    let down: Character
    let warning: Character

    static let unicode = Glyphs(
        queued: "·", spinner: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
        done: "✔", cached: "=", failed: "✘", canceled: "⊘",
        hit: "█", miss: "░", pending: "·",
        horizontal: "─", vertical: "│",
        barFull: "█", barEmpty: "░", barEighths: ["▏", "▎", "▍", "▌", "▋", "▊", "▉"],
        spark: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        critical: "█", bar: "▒", ellipsis: "…", up: "↑", down: "↓", warning: "⚠")

    static let ascii = Glyphs(
        queued: ".", spinner: ["|", "/", "-", "\\"],
        done: "+", cached: "=", failed: "x", canceled: "!",
        hit: "#", miss: "-", pending: ".",
        horizontal: "-", vertical: "|",
        barFull: "#", barEmpty: "-", barEighths: [],
        spark: ["_", ".", ",", "-", "~", "=", "+", "#"],
        critical: "#", bar: "=", ellipsis: "~", up: "^", down: "v", warning: "!")

    static func forState(_ state: DashboardState) -> Glyphs { state.ascii ? .ascii : .unicode }

    /// The glyph and style for a step's status; the spinner frame comes from the clock so a
    /// running step animates between ticks without any state of its own.
    func status(_ status: Step.Status, frame: Int) -> (Character, Style) {
        switch status {
        case .queued: return (queued, .dim)
        case .running: return (spinner[((frame % spinner.count) + spinner.count) % spinner.count], .running)
        case .done: return (done, .done)
        case .cached: return (cached, .cached)
        case .failed: return (failed, .failed)
        case .canceled: return (canceled, .canceled)
        }
    }

    /// A bar of `width` cells filled to `fraction` (0…1), with eighth-cell precision in Unicode.
    func bar(fraction: Double, width: Int) -> String {
        guard width > 0 else { return "" }
        let f = fraction.isFinite ? min(1, max(0, fraction)) : 0
        let eighths = Int((f * Double(width * 8)).rounded(.down))
        var out = String(repeating: barFull, count: eighths / 8)
        var used = eighths / 8
        if used < width, eighths % 8 > 0, !barEighths.isEmpty {
            out.append(barEighths[eighths % 8 - 1])
            used += 1
        }
        out += String(repeating: barEmpty, count: width - used)
        return out
    }
}
