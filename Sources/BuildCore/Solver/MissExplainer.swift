import Foundation

/// Explains cache misses by comparing each step with the same step of the previous build of the
/// same Dockerfile and target: which files changed, which build arg changed (old and new value),
/// the instruction changed, or an input step re-ran. Its memory is one file per Dockerfile/target
/// under `<root>/cache/explain`, replaced atomically at the end of a build, next to a small one
/// with each step's cache key (`.keys.json`): a build whose steps all kept their keys reads only
/// that, and writes nothing. The full fingerprints (a COPY's per-file checksums) are decoded only
/// when a step misses or the memory changes.
public final class MissExplainer: @unchecked Sendable {
    struct Fingerprint: Codable, Equatable {
        var name: String
        var key: String
        var op: String
        var inputKeys: [String]
        var content: [ContentChecksum]
        var env: [String]
    }

    let file: String
    let keysFile: String
    let argNames: Set<String>
    private let lock = NSLock()
    /// The previous build's key per step, when its key file is there.
    private let previousKeys: [String: String]?
    private var decodedPrevious: [String: Fingerprint]?
    /// Steps whose key is not the one remembered (a step that kept its key is not recorded).
    private var current: [String: Fingerprint] = [:]

    public init(root: StateRoot, dockerfilePath: String, target: String?, argNames: Set<String>) {
        let id = Digest.sha256((dockerfilePath as NSString).standardizingPath + "\u{0}" + (target ?? "")).hex
        file = root.subdirectory("cache/explain") + "/" + id + ".json"
        keysFile = root.subdirectory("cache/explain") + "/" + id + ".keys.json"
        self.argNames = argNames
        previousKeys = FileManager.default.contents(atPath: keysFile)
            .flatMap { try? JSONDecoder().decode([String: String].self, from: $0) }
    }

    /// The previous build's fingerprints, read on first use. Call with the lock held.
    private var previous: [String: Fingerprint] {
        if let decodedPrevious { return decodedPrevious }
        let decoded = FileManager.default.contents(atPath: file)
            .flatMap { try? JSONDecoder().decode([String: Fingerprint].self, from: $0) } ?? [:]
        decodedPrevious = decoded
        return decoded
    }

    /// True when the step had this very key in the previous build: its fingerprint, files
    /// included, is the one remembered, so it need not be made or recorded again.
    func keptItsKey(_ v: Vertex, key: String) -> Bool {
        previousKeys?[Self.identity(v.name)] == key
    }

    /// `[stage 2/5] RUN make` is step `stage 2` whatever its text, so an edited instruction is
    /// still compared with its former self.
    static func identity(_ name: String) -> String {
        guard name.hasPrefix("["), let slash = name.firstIndex(of: "/") else { return name }
        return String(name[name.index(after: name.startIndex)..<slash]).trimmingCharacters(in: .whitespaces)
    }

    static func env(of v: Vertex) -> [String] {
        if case .exec(let e) = v.op { return e.env }
        return []
    }

    func record(_ v: Vertex, key: String, inputKeys: [String], content: [ContentChecksum], reran: Bool) {
        let fp = Fingerprint(name: v.name, key: key, op: v.digest.value, inputKeys: inputKeys, content: content, env: Self.env(of: v))
        lock.lock()
        current[Self.identity(v.name)] = fp
        lock.unlock()
    }


    /// Remembers the manifest digest a base image resolved to, so that the next build can say
    /// "base image changed" when its tag moved.
    func recordImage(_ reference: String, digest: String) {
        let fp = Fingerprint(name: "image:" + reference, key: digest, op: "", inputKeys: [], content: [], env: [])
        lock.lock()
        if previousKeys?[fp.name] != digest { current[fp.name] = fp }
        lock.unlock()
    }

    func explainMiss(_ v: Vertex, key: String, inputKeys: [String], content: [ContentChecksum], rerunInputs: [String],
                     baseImages: [(reference: String, digest: String)] = []) -> String {
        lock.lock()
        let previous = self.previous
        lock.unlock()
        guard let prev = previous[Self.identity(v.name)] else {
            return previous.isEmpty ? "first build" : "new step (not in the previous build)"
        }
        if prev.key == key { return "cache record missing (pruned)" }
        if let input = rerunInputs.first { return "input step re-ran: \(input)" }
        for (reference, digest) in baseImages {
            if let old = previous["image:" + reference], old.key != digest {
                return "base image changed: \(reference) → \(digest)"
            }
        }
        if prev.op != v.digest.value {
            if let change = argChange(old: prev.env, new: Self.env(of: v)) { return change }
            return "instruction changed"
        }
        let changed = changedFiles(old: prev.content, new: content)
        if !changed.isEmpty {
            let shown = changed.prefix(3).joined(separator: ", ")
            return "files changed: \(shown)" + (changed.count > 3 ? " (+\(changed.count - 3) more)" : "")
        }
        if prev.inputKeys != inputKeys { return "base changed" }
        return "content changed"
    }

    func argChange(old: [String], new: [String]) -> String? {
        func split(_ list: [String]) -> [String: String] {
            var out: [String: String] = [:]
            for e in list {
                let parts = e.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                out[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            }
            return out
        }
        let a = split(old), b = split(new)
        for name in Set(a.keys).union(b.keys).sorted() where a[name] != b[name] {
            let kind = argNames.contains(name) ? "build arg" : "ENV"
            return "\(kind) \(name) changed: \(a[name].map { "\"\($0)\"" } ?? "unset") → \(b[name].map { "\"\($0)\"" } ?? "unset")"
        }
        return nil
    }

    func changedFiles(old: [ContentChecksum], new: [ContentChecksum]) -> [String] {
        var before: [String: String] = [:]
        for c in old { before.merge(c.files) { a, _ in a } }
        var after: [String: String] = [:]
        for c in new { after.merge(c.files) { a, _ in a } }
        var changed: [String] = []
        for (path, digest) in after where before[path] != digest { changed.append(path) }
        for path in before.keys where after[path] == nil { changed.append(path + " (removed)") }
        return changed.sorted()
    }

    /// Saves this build's fingerprints (merged over the previous ones) for the next build.
    public func save() {
        lock.lock()
        defer { lock.unlock() }
        // A cached rebuild: every step kept its key, nothing new to remember.
        if current.isEmpty && previousKeys != nil { return }
        var merged = previous
        for (k, v) in current { merged[k] = v }
        if merged == previous && previousKeys != nil { return }
        guard let data = try? JSONEncoder().encode(merged),
              let keys = try? JSONEncoder().encode(merged.mapValues(\.key)) else { return }
        // The fingerprints first: a key file never names fingerprints that are not there.
        try? AtomicFile.write(data, to: file)
        try? AtomicFile.write(keys, to: keysFile)
    }
}
