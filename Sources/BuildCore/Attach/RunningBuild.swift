import Foundation

/// A build that is running now, as its attach socket describes it (`status` request): enough for
/// `attach` to pick one and for the home screen to list it.
public struct RunningBuild: Sendable, Codable, Equatable {
    public var id: String
    public var started: Date
    public var contextPath: String?
    public var dockerfile: String?
    public var target: String?
    /// Steps planned so far, and how many of them ended.
    public var steps: Int
    public var completed: Int
    public var cached: Int

    public init(id: String, started: Date, contextPath: String?, dockerfile: String?, target: String?,
                steps: Int, completed: Int, cached: Int) {
        self.id = id
        self.started = started
        self.contextPath = contextPath
        self.dockerfile = dockerfile
        self.target = target
        self.steps = steps
        self.completed = completed
        self.cached = cached
    }

    /// One JSON line (newline included), dates as in build records.
    public static func line(_ build: RunningBuild) throws -> Data {
        var data = try BuildRecord.makeEncoder().encode(build)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func decode(_ data: Data) -> RunningBuild? {
        try? BuildRecord.makeDecoder().decode(RunningBuild.self, from: data)
    }
}
