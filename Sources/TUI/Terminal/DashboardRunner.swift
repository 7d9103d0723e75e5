import BuildCore
import CNCurses
import Foundation

/// Runs the dashboard for a stream of build events: one thread owns the terminal (ncurses is not
/// thread-safe), reads keys, applies events as they arrive and repaints at most `fps` times a
/// second, so a step printing a flood of logs never slows the build or the terminal.
public enum DashboardRunner {
    public struct Options: Sendable {
        public var colors: Bool
        public var ascii: Bool
        /// Stay open after a successful build until `q` (by default a success closes it).
        public var stayOpen: Bool
        /// Close by itself on failure too (`--exit-on-finish`).
        public var exitOnFinish: Bool
        /// Watching a build from outside (`attach`): `q` leaves without asking or cancelling.
        public var viewer = false
        /// Open on the cache graph instead of the build view (comparing cache use).
        public var openCacheGraph = false
        /// The build's record on disk, where the log pane reads back lines a step no longer
        /// keeps in memory; nil when there is none here (a build on another machine).
        public var logRecord: URL?
        /// The state root whose layer store holds the build's layers, when it is on this machine:
        /// `l` opens the layer explorer from it.
        public var layerRoot: String?
        public var fps: Double = 15
        public var stepHistory: [String: Double] = [:]
        public var trend: [(hitRate: Double, duration: Double)] = []

        public init(colors: Bool, ascii: Bool, stayOpen: Bool = false, exitOnFinish: Bool = false) {
            self.colors = colors
            self.ascii = ascii
            self.stayOpen = stayOpen
            self.exitOnFinish = exitOnFinish
        }

        /// From the environment, like most terminal tools: `NO_COLOR` turns colors off, a locale
        /// that is not UTF-8 turns on ASCII drawing.
        public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Options {
            let locale = env["LC_ALL"] ?? env["LC_CTYPE"] ?? env["LANG"] ?? ""
            let utf8 = locale.lowercased().contains("utf-8") || locale.lowercased().contains("utf8")
            return Options(colors: env["NO_COLOR"] == nil, ascii: !utf8)
        }
    }

    /// Shows the dashboard until the user quits (or the build ends, per `options`), then restores
    /// the terminal and returns the final state (for the summary). `cancel` is called when the
    /// user confirms quitting a running build.
    public static func run(events: AsyncStream<BuildEvent>, options: Options,
                           cancel: @escaping @Sendable () -> Void) async -> DashboardState {
        let inbox = EventInbox()
        let feeder = Task {
            for await e in events { inbox.push(e) }
            inbox.close()
        }
        let state = await withCheckedContinuation { (continuation: CheckedContinuation<DashboardState, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: loop(inbox: inbox, options: options, cancel: cancel))
            }
        }
        feeder.cancel()
        return state
    }

    /// Curses mode with the dashboard's palette: every full-screen view starts here.
    static func openScreen(_ options: Options) -> CursesScreen {
        let screen = CursesScreen(colors: options.colors)
        screen.attributes = StylePalette(colors: options.colors).attributes
        return screen
    }

    static func loop(inbox: EventInbox, options: Options, cancel: @escaping @Sendable () -> Void) -> DashboardState {
        var state = DashboardState(ascii: options.ascii, colorEnabled: options.colors, stepHistory: options.stepHistory,
                                   trend: options.trend)
        state.viewer = options.viewer
        let archive = options.logRecord.map(RecordLogArchive.init)
        state.canReadBack = archive != nil
        state.canOpenLayers = options.layerRoot != nil
        let screen = DashboardRunner.openScreen(options)
        defer { screen.restore() }
        var (width, height) = screen.size
        _ = state.apply(.resize(width: width, height: height))
        let frame = 1.0 / max(1, options.fps)
        var lastPaint = Date.distantPast
        var dirty = true
        var effects: [DashboardEffect] = []
        while true {
            var quit = false
            // Keys first, so a quit is never stuck behind a flood of events.
            if let raw = screen.readKey(wake: inbox.wake) {
                if raw == .resize {
                    (width, height) = screen.size
                    effects += state.apply(.resize(width: width, height: height))
                    lastPaint = .distantPast
                } else if let key = KeyMapping.key(raw) {
                    effects += state.apply(.key(key))
                }
                dirty = true
            }
            let (batch, closed) = inbox.drain()
            if !batch.isEmpty { effects += state.apply(.events(batch)) }
            let replies = inbox.takeReplies()
            for reply in replies { effects += state.apply(reply) }
            if !batch.isEmpty || !replies.isEmpty { dirty = true }
            for effect in effects {
                switch effect {
                case .quit: quit = true
                case .cancelBuild: cancel()
                case .bell: beep()
                case .readLog(let digest, let range):
                    archive?.read(digest, range) { inbox.pushReply(.olderLines($0)) }
                case .searchLog(let digest, let query, let below):
                    archive?.search(digest, query: query, below: below) { inbox.pushReply(.olderMatches($0)) }
                case .openPager(let digest):
                    // What the step no longer keeps comes from the record, the rest from memory.
                    let first = state.step(digest)?.log.firstNumber ?? 0
                    let older = first > 0 ? archive?.lines(of: digest, in: 0..<first).lines ?? [] : []
                    let lines = older + state.keptLines(of: digest)
                    Pager.show(lines, title: state.stepName(digest), on: screen)
                    dirty = true
                case .releaseMouse(let released):
                    screen.captureMouse(!released)
                case .openLayers(let title, let layers):
                    guard let root = options.layerRoot else { break }
                    DispatchQueue.global().async {
                        inbox.pushReply(LayerLoading.message(title: title, layers: layers, root: root))
                    }
                case .confirmQuit, .replayTo: break
                }
            }
            effects.removeAll()
            let now = Date()
            if now.timeIntervalSince(lastPaint) >= frame {
                // (what a tick asks for is carried out on the next pass)
                effects += state.apply(.tick(now))
                // A running build moves by itself (spinners, timers); an ended one only on news.
                if dirty || !state.finished {
                    screen.paint(state.render(width: width, height: height))
                    dirty = false
                }
                lastPaint = now
            }
            if quit || screen.terminalGone { break }
            if closed {
                // Asked to cancel: the user already chose to leave.
                let done = state.cancelRequested || (state.status == .succeeded ? !options.stayOpen : options.exitOnFinish)
                if done {
                    // Leave on our own at once, with the final frame painted (the summary follows).
                    if dirty {
                        _ = state.apply(.tick(now))
                        screen.paint(state.render(width: width, height: height))
                    }
                    break
                }
            }
        }
        _ = state.apply(.tick(Date()))
        return state
    }
}

/// Events handed from the async world to the terminal thread.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BuildEvent] = []
    private var closed = false
    private var replies: [DashboardMessage] = []

    /// What the record answered (lines, matches), from the read-back queue.
    func pushReply(_ reply: DashboardMessage) {
        lock.withLock { replies.append(reply) }
        wake?.wake()
    }

    func takeReplies() -> [DashboardMessage] {
        lock.withLock {
            defer { replies.removeAll() }
            return replies
        }
    }

    func push(_ e: BuildEvent) {
        lock.lock()
        events.append(e)
        lock.unlock()
    }

    /// Rung when the stream ends, so the loop leaves at once rather than at its next look.
    let wake = WakePipe()

    func close() {
        lock.lock()
        closed = true
        lock.unlock()
        wake?.wake()
    }

    /// Every event pushed so far, and whether the stream has ended (then these are its last:
    /// both are read under one lock, so nothing can come after them).
    func drain() -> ([BuildEvent], Bool) {
        lock.lock()
        defer { lock.unlock() }
        let out = events
        events.removeAll(keepingCapacity: true)
        return (out, closed)
    }
}

/// Terminal keys to dashboard keys.
enum KeyMapping {
    static func key(_ raw: CursesScreen.RawKey) -> Key? {
        switch raw {
        case .character(let c): return .char(c)
        case .up: return .up
        case .down: return .down
        case .left: return .left
        case .right: return .right
        case .pageUp: return .pageUp
        case .pageDown: return .pageDown
        case .home: return .home
        case .end: return .end
        case .enter: return .enter
        case .escape: return .esc
        case .tab: return .tab
        case .backTab: return .shiftTab
        case .backspace: return .backspace
        case .wheelUp(let x, let y): return .wheelUp(x: x, y: y)
        case .wheelDown(let x, let y): return .wheelDown(x: x, y: y)
        case .click(let x, let y): return .click(x: x, y: y)
        case .resize: return nil
        }
    }
}

/// How each `Style` looks: a color pair plus emphasis, or emphasis alone without colors.
struct StylePalette {
    let colors: Bool

    func attributes(_ raw: UInt8) -> Int32 {
        let style = Style(rawValue: raw) ?? .normal
        let bold = swb_a_bold(), reverse = swb_a_reverse(), dim = swb_a_dim(), underline = swb_a_underline()
        // Pair numbers index CursesScreen.palette (1-based): 1 white, 2 cyan, 3 yellow, 4 green,
        // 5 blue, 6 red, 7 black on white, 8 black on yellow, 9 magenta, 10 white on blue,
        // 11 black on cyan, 12 white on red.
        func pair(_ n: Int32) -> Int32 { colors ? swb_color_pair(n) : 0 }
        switch style {
        case .normal: return 0
        case .dim: return dim
        case .bold: return bold
        case .header: return colors ? pair(10) | bold : reverse | bold
        case .running: return pair(2) | bold
        case .done: return pair(4)
        case .cached: return colors ? pair(5) | bold : dim
        case .failed: return colors ? pair(6) | bold : bold | underline
        case .canceled: return colors ? pair(3) : dim
        case .selected: return colors ? pair(11) : reverse
        case .selectedInactive: return colors ? pair(7) : reverse | dim
        case .match: return colors ? pair(8) : underline
        case .currentMatch: return colors ? pair(12) | bold : reverse | bold
        case .warning: return pair(3) | bold
        case .border: return colors ? pair(5) : dim
        case .title: return colors ? pair(2) | bold : bold
        case .critical: return colors ? pair(9) | bold : bold
        case .progress: return pair(4) | bold
        case .key: return colors ? pair(3) | bold : bold
        case .prompt: return colors ? pair(8) | bold : reverse
        }
    }
}
