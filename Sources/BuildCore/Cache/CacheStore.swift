import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the cache remembers for a key: the layers of the result and how long it took to make.
public struct CacheRecord: Codable, Sendable, Equatable {
    public var key: String
    /// Layer ids, bottom to top.
    public var layers: [String]
    public var duration: Double
    public var created: Date
    public var lastUsed: Date
    public var name: String

    public init(key: String, layers: [String], duration: Double, created: Date = Date(), lastUsed: Date = Date(), name: String) {
        self.key = key
        self.layers = layers
        self.duration = duration
        self.created = created
        self.lastUsed = lastUsed
        self.name = name
    }
}

/// The content-addressed cache index: one small JSON file per cache key under `<root>/cache/keys`,
/// written atomically, so a build killed at any moment leaves every record whole or absent. A
/// record whose layers are gone (pruned, or never committed) is a miss, never an error.
/// A hit is remembered as the file's modification time, not by rewriting it: a cached rebuild
/// writes nothing here, and `lastUsed` reads the later of the two.
public actor CacheStore {
    public let directory: String

    public init(root: StateRoot) {
        directory = root.subdirectory("cache/keys")
    }

    func path(_ key: String) -> String {
        directory + "/" + key.replacingOccurrences(of: "sha256:", with: "") + ".json"
    }

    /// The record for `key` if every layer it names still exists.
    public func lookup(_ key: String, layerExists: (String) -> Bool) -> CacheRecord? {
        let file = path(key)
        guard let data = FileManager.default.contents(atPath: file),
              let record = try? Self.decoder.decode(CacheRecord.self, from: data),
              record.layers.allSatisfy(layerExists) else { return nil }
        _ = utimensat(AT_FDCWD, file, nil, 0)
        return record
    }

    /// Writes the record; its file's modification time is its `lastUsed`.
    public func store(_ record: CacheRecord) throws {
        let file = path(record.key)
        try AtomicFile.write(try Self.encoder.encode(record), to: file)
        let used = record.lastUsed.timeIntervalSince1970
        let time = timespec(tv_sec: Int(used.rounded(.down)), tv_nsec: Int((used - used.rounded(.down)) * 1e9))
        let times = [time, time]
        _ = utimensat(AT_FDCWD, file, times, 0)
    }

    public func all() -> [CacheRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            let file = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: file),
                  var record = try? Self.decoder.decode(CacheRecord.self, from: data) else { return nil }
            var info = stat()
            if stat(file, &info) == 0 {
                let touched = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
                record.lastUsed = max(record.lastUsed, touched)
            }
            return record
        }
    }

    public func remove(_ key: String) {
        try? FileManager.default.removeItem(atPath: path(key))
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        // The records' own RFC 3339 times, read without Foundation's ISO 8601 formatter (a cached
        // rebuild reads one record per step).
        d.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let time = RFC3339Time(parsing: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a time: \(text)"))
            }
            return time.date
        }
        return d
    }()
}
