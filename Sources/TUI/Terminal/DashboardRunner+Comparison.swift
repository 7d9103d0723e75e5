import BuildCore
import CNCurses
import Foundation

/// The comparison of two builds on the terminal.
extension DashboardRunner {
    /// Shows `diff` full screen until the user goes back (`q`, esc). The terminal is restored
    /// before returning.
    public static func comparison(_ diff: HistoryDiff, options: Options) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                comparisonLoop(diff, options: options)
                continuation.resume()
            }
        }
    }

    static func comparisonLoop(_ diff: HistoryDiff, options: Options) {
        var state = ComparisonState(diff: diff, ascii: options.ascii, colorEnabled: options.colors)
        let screen = DashboardRunner.openScreen(options)
        defer { screen.restore() }
        var (width, height) = screen.size
        _ = state.apply(.resize(width: width, height: height))
        screen.paint(state.render(width: width, height: height))
        while !screen.terminalGone {
            guard let raw = screen.readKey(timeout: 500) else { continue }
            if raw == .resize {
                (width, height) = screen.size
                _ = state.apply(.resize(width: width, height: height))
            } else if let key = KeyMapping.key(raw) {
                for effect in state.apply(.key(key)) {
                    switch effect {
                    case .quit, .choose: return
                    case .bell: beep()
                    }
                }
            }
            screen.paint(state.render(width: width, height: height))
        }
    }
}
