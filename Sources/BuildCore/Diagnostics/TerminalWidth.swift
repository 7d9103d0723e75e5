import CLinux

/// How wide the terminal standard output goes to is, for tables that should fit it: the
/// terminal's own width, else `COLUMNS`, else `fallback` (output to a file or a pipe).
public enum TerminalWidth {
    public static func standardOutput(fallback: Int = 120, environment: [String: String]) -> Int {
        let columns = Int(swb_terminal_columns(1))
        if columns > 0 { return columns }
        if let text = environment["COLUMNS"], let value = Int(text), value > 0 { return value }
        return fallback
    }
}
