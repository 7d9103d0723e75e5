import Foundation

/// Where builds are: this machine's `--root`, or another machine reached over ssh. `attach`,
/// `history` and `replay` talk to a `BuildHost` and never care which.
public protocol BuildHost: Sendable {
    /// Builds running now, oldest first.
    func running() throws -> [RunningBuild]
    /// Recorded builds, newest first (`history ls`).
    func history() throws -> [BuildSummary]
    /// The bytes of a build's record, by id or unique prefix, and the full id.
    func record(_ reference: String) throws -> (id: String, data: Data)
    /// A build's events: live from its socket while it runs (everything so far, then live), or
    /// read from its record once it has finished. With no reference, the only running build.
    func attach(_ reference: String?) throws -> AttachedBuild
}

/// The event stream of one build, as `attach` got it.
public struct AttachedBuild: Sendable {
    public var id: String
    /// True when the stream follows a running build, false when it replays a record.
    public var live: Bool
    public var events: AsyncStream<BuildEvent>

    public init(id: String, live: Bool, events: AsyncStream<BuildEvent>) {
        self.id = id
        self.live = live
        self.events = events
    }
}

extension BuildHost {
    /// The running build `reference` names: an exact id, else a unique prefix; nil when none.
    func runningBuild(matching reference: String?, in builds: [RunningBuild]) throws -> RunningBuild? {
        guard let reference else {
            switch builds.count {
            case 0: throw AttachError.nothingRunning
            case 1: return builds[0]
            default: throw AttachError.ambiguous("", matches: builds.map(\.id))
            }
        }
        if let exact = builds.first(where: { $0.id == reference }) { return exact }
        let matches = builds.filter { $0.id.hasPrefix(reference) }
        if matches.count > 1 { throw AttachError.ambiguous(reference, matches: matches.map(\.id)) }
        return matches.first
    }
}
