import BuildCore
import CNCurses
import Foundation

/// Replaying a recorded build in the dashboard, with its original timing scaled by a speed.
extension DashboardRunner {
    /// Plays the events `feed` receives (they may keep coming while it plays) until the user
    /// quits with `q`, then restores the terminal and returns the state last shown. `speed` is
    /// build seconds per second, `.infinity` for `max`; `title` (a build id, a file name) goes in
    /// the header. The end of the build stays on screen until `q`, like a finished build.
    public static func replay(feed: ReplayFeed, options: Options, speed: Double, title: String) async -> DashboardState {
        await withCheckedContinuation { (continuation: CheckedContinuation<DashboardState, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: replayLoop(feed: feed, options: options, speed: speed, title: title))
            }
        }
    }

    /// Cost units (about one event each) the indexer reduces between two looks at the keyboard:
    /// a few milliseconds, so keys stay responsive while a long record is indexed.
    static let indexSlice = 4_000

    static func replayLoop(feed: ReplayFeed, options: Options, speed: Double, title: String) -> DashboardState {
        var template = DashboardState(ascii: options.ascii, colorEnabled: options.colors, stepHistory: options.stepHistory,
                                      trend: options.trend)
        if options.openCacheGraph { template.screen = .cacheGraph }
        // Every event is at hand: lines a step no longer keeps are read back from them.
        template.canReadBack = true
        template.canOpenLayers = options.layerRoot != nil
        let screen = DashboardRunner.openScreen(options)
        defer { screen.restore() }
        var (width, height) = screen.size
        _ = template.apply(.resize(width: width, height: height))
        var replay = Replay(template: template, title: title, speed: speed)
        let frame = 1.0 / max(1, options.fps)
        var lastPaint = -Double.infinity
        var clock = ProcessInfo.processInfo.systemUptime
        var loaded = false
        while true {
            var quit = false
            // Only a look at the keyboard while there is indexing to do; else wait a little.
            if let raw = screen.readKey(timeout: replay.isIndexing ? 0 : 20) {
                var effects: [DashboardEffect] = []
                if raw == .resize {
                    (width, height) = screen.size
                    effects = replay.apply(.resize(width: width, height: height))
                } else if let key = KeyMapping.key(raw) {
                    effects = replay.apply(.key(key))
                }
                while !effects.isEmpty {
                    switch effects.removeFirst() {
                    case .quit: quit = true
                    case .bell: beep()
                    case .readLog(let digest, let range):
                        let events = replay.events
                        let lines = LogReadBack.lines(of: digest, in: range) { events.forEach(in: 0..<events.count, $0) }
                        effects += replay.apply(.olderLines(lines))
                    case .searchLog(let digest, let query, let below):
                        let events = replay.events
                        let found = LogReadBack.matches(of: digest, query: query, below: below) { events.forEach(in: 0..<events.count, $0) }
                        effects += replay.apply(.olderMatches(found))
                    case .openPager(let digest):
                        let events = replay.events
                        let lines = LogReadBack.lines(of: digest, in: 0..<Int.max) { events.forEach(in: 0..<events.count, $0) }
                        Pager.show(lines.lines, title: replay.state.stepName(digest), on: screen)
                    case .releaseMouse(let released):
                        screen.captureMouse(!released)
                    case .openLayers(let title, let layers):
                        if let root = options.layerRoot {
                            effects += replay.apply(LayerLoading.message(title: title, layers: layers, root: root))
                        }
                    case .cancelBuild, .confirmQuit, .replayTo: break
                    }
                }
                lastPaint = -Double.infinity
            }
            if quit || screen.terminalGone { break }
            if !loaded {
                let (batches, finished, error) = feed.take()
                for batch in batches { replay.receive(batch) }
                if finished {
                    replay.finishLoading(error: error)
                    loaded = true
                }
            }
            let now = ProcessInfo.processInfo.systemUptime
            // A long stall (a first seek before indexing, a huge batch) must not skip the build ahead.
            replay.advance(by: min(now - clock, 0.25))
            clock = now
            if now - lastPaint >= frame {
                screen.paint(replay.state.render(width: width, height: height))
                lastPaint = now
            }
            if replay.isIndexing { replay.index(budget: indexSlice) }
        }
        return replay.state
    }
}
