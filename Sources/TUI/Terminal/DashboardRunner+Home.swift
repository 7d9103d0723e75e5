import BuildCore
import CNCurses
import Foundation

/// The home screen on the terminal.
extension DashboardRunner {
    /// Shows the home screen for `entries` until the user picks something (returned, for the
    /// caller to carry out: attach, replay, inspect, compare, build, or `.refresh` to be called
    /// again with fresh entries) or quits (nil). The terminal is restored before returning.
    public static func home(entries: HomeEntries, options: Options) async -> HomeChoice? {
        await withCheckedContinuation { (continuation: CheckedContinuation<HomeChoice?, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: homeLoop(entries: entries, options: options))
            }
        }
    }

    static func homeLoop(entries: HomeEntries, options: Options) -> HomeChoice? {
        var state = HomeState(entries: entries, ascii: options.ascii, colorEnabled: options.colors)
        let screen = DashboardRunner.openScreen(options)
        defer { screen.restore() }
        var (width, height) = screen.size
        _ = state.apply(.resize(width: width, height: height))
        var dirty = true
        var lastTick = Date.distantPast
        while !screen.terminalGone {
            if let raw = screen.readKey(timeout: 200) {
                if raw == .resize {
                    (width, height) = screen.size
                    _ = state.apply(.resize(width: width, height: height))
                } else if let key = KeyMapping.key(raw) {
                    for effect in state.apply(.key(key)) {
                        switch effect {
                        case .choose(let choice): return choice
                        case .quit: return nil
                        case .bell: beep()
                        }
                    }
                }
                dirty = true
            }
            // Times on screen ("3m ago", a running build's elapsed time) move once a second.
            let now = Date()
            if now.timeIntervalSince(lastTick) >= 1 {
                _ = state.apply(.tick(now))
                lastTick = now
                dirty = true
            }
            if dirty {
                screen.paint(state.render(width: width, height: height))
                dirty = false
            }
        }
        return nil
    }
}
