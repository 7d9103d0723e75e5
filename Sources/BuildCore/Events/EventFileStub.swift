import Foundation
// TEMPORARY until the real loader lands.
public enum EventFile {
    public struct Loaded: Sendable { public var events: [BuildEvent]; public var warnings: [String] }
    public static func load(data: Data, name: String) throws -> Loaded {
        let r = BuildRecord.decode(data)
        if !r.events.isEmpty { return Loaded(events: r.events, warnings: []) }
        let j = RawJSONDecoder.decodeAll(data)
        return Loaded(events: j.events, warnings: [])
    }
}
