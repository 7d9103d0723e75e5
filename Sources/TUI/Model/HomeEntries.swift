import BuildCore
import Foundation

/// What the home screen lists, gathered by the caller: builds running now, builds in the
/// history, and whether the current directory has a Dockerfile to build.
public struct HomeEntries: Sendable, Equatable {
    /// A build in progress that the dashboard can attach to.
    public struct RunningBuild: Sendable, Equatable {
        public var id: String
        /// The build context, as given to `build`.
        public var context: String
        public var started: Date
        /// Steps ended so far, out of `total` (0 when the plan is not known yet).
        public var done: Int
        public var total: Int
        /// The context it runs on, when the screen lists several.
        public var host: String?

        public init(id: String, context: String, started: Date, done: Int, total: Int, host: String? = nil) {
            self.id = id
            self.context = context
            self.started = started
            self.done = done
            self.total = total
            self.host = host
        }
    }

    /// A finished (or killed) build from the history.
    public struct RecentBuild: Sendable, Equatable {
        /// As the history says it ended.
        public typealias Status = BuildSummary.Status

        public var id: String
        public var status: Status
        public var started: Date
        /// Seconds.
        public var duration: Double
        public var steps: Int
        /// Steps that came from the cache.
        public var cached: Int
        /// What was built: the image name, the target or the context.
        public var name: String
        /// The context whose history holds it, when the screen lists several.
        public var host: String?

        public init(id: String, status: Status, started: Date, duration: Double, steps: Int, cached: Int, name: String,
                    host: String? = nil) {
            self.host = host
            self.id = id
            self.status = status
            self.started = started
            self.duration = duration
            self.steps = steps
            self.cached = cached
            self.name = name
        }
    }

    public var running: [RunningBuild]
    /// Newest first.
    public var recent: [RecentBuild]
    /// The path to build when the current directory has a Dockerfile (`.`), else nil.
    public var buildPath: String?
    /// When the entries were gathered: "3m ago" is measured from it until the screen ticks.
    public var now: Date
    /// Contexts that did not answer in time, with why: dimmed rows, never a wait.
    public var unreachable: [(context: String, error: String)] = []

    public static func == (a: HomeEntries, b: HomeEntries) -> Bool {
        a.running == b.running && a.recent == b.recent && a.buildPath == b.buildPath && a.now == b.now
            && a.unreachable.map(\.context) == b.unreachable.map(\.context) && a.unreachable.map(\.error) == b.unreachable.map(\.error)
    }

    public init(running: [RunningBuild] = [], recent: [RecentBuild] = [], buildPath: String? = nil, now: Date = Date()) {
        self.running = running
        self.recent = recent
        self.buildPath = buildPath
        self.now = now
    }
}
