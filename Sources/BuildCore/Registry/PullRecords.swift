import Foundation

/// Which names in the local store came from a registry, the manifest digest each tag resolved to
/// and when. A name pulled less than `ttl` ago is used without asking the registry (a cached
/// rebuild makes no request); older, one `HEAD` tells whether the tag moved. Names that were
/// loaded or built here are never looked up remotely unless `--pull` asks. One small JSON file
/// under `<root>/registry`, replaced atomically; a lost update only costs one more `HEAD`.
public struct PullRecords: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        /// The digest the name resolved to (an index or a manifest).
        public var digest: String
        public var resolvedAt: Double
    }

    let path: String
    let sourcesPath: String

    public init(root: StateRoot) {
        path = root.subdirectory("registry") + "/resolved.json"
        sourcesPath = root.subdirectory("registry") + "/sources.json"
    }

    /// How long a resolved tag is trusted: `SWBUILD_RESOLVE_TTL` seconds, default 5 minutes.
    public static var ttl: TimeInterval {
        ProcessInfo.processInfo.environment["SWBUILD_RESOLVE_TTL"].flatMap(TimeInterval.init) ?? 300
    }

    public func all() -> [String: Entry] {
        guard let data = FileManager.default.contents(atPath: path),
              let entries = try? JSONDecoder().decode([String: Entry].self, from: data) else { return [:] }
        return entries
    }

    public func entry(_ name: String) -> Entry? { all()[name] }

    public func record(_ name: String, digest: Digest) {
        var entries = all()
        entries[name] = Entry(digest: digest.value, resolvedAt: Date().timeIntervalSince1970)
        if let data = try? JSONEncoder().encode(entries) {
            try? AtomicFile.write(data, to: path, durable: false)
        }
    }

    /// Which repository each pulled blob came from (`127.0.0.1:5000/library/busybox`), so that a
    /// push to another repository of the same registry mounts it instead of uploading it.
    public func sources() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: sourcesPath),
              let entries = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return entries
    }

    public func recordSources(_ digests: [Digest], repository: String) {
        var entries = sources()
        for digest in digests { entries[digest.value] = repository }
        if let data = try? JSONEncoder().encode(entries) {
            try? AtomicFile.write(data, to: sourcesPath, durable: false)
        }
    }
}
