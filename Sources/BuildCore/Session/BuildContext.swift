import Foundation

/// The build context, read once: every entry `.dockerignore` lets through, with a content
/// checksum per regular file. Checksums follow BuildKit: mode, uid, gid and bytes count, mtime
/// does not. A stat cache under the state root makes an unchanged second load re-hash nothing.
public struct BuildContext: Sendable {
    public var root: String
    public var entries: [ContextEntry]
    /// Content digest of each regular file, and the target of each symlink, by relative path.
    public var contents: [String: String]
    public var ignorePatterns: [String]
    /// Bytes hashed during this load (0 when the stat cache answered everything).
    public var bytesHashed: Int64
    public var filesHashed: Int

    public var totalBytes: Int64 { entries.reduce(0) { $0 + $1.size } }

    /// Loads a context with the stat cache kept for it under `stateRoot`, which is read while
    /// the context is walked (the two take about as long on a big unchanged tree).
    public static func load(root: String, patterns: [String], ignoreFile: String? = nil, statCacheIn stateRoot: StateRoot,
                            jobs: Int = ProcessInfo.processInfo.activeProcessorCount) async throws -> BuildContext {
        async let cache = StatCache.open(root: stateRoot, contextPath: root)
        let entries = try ContextWalker(root: root, patterns: patterns, ignoreFile: ignoreFile).walk()
        return try await load(root: root, entries: entries, patterns: patterns, statCache: await cache, jobs: jobs)
    }

    /// Loads a context: walks it, then hashes the files the stat cache does not vouch for, in
    /// parallel (`jobs` at a time).
    public static func load(root: String, patterns: [String], ignoreFile: String? = nil, statCache: StatCache?,
                            jobs: Int = ProcessInfo.processInfo.activeProcessorCount) async throws -> BuildContext {
        let entries = try ContextWalker(root: root, patterns: patterns, ignoreFile: ignoreFile).walk()
        return try await load(root: root, entries: entries, patterns: patterns, statCache: statCache, jobs: jobs)
    }

    static func load(root: String, entries: [ContextEntry], patterns: [String], statCache: StatCache?,
                     jobs: Int) async throws -> BuildContext {
        var contents: [String: String] = [:]
        contents.reserveCapacity(entries.count)
        var toHash: [ContextEntry] = []
        let cached = statCache?.digests(for: entries) ?? []
        for (i, e) in entries.enumerated() {
            switch e.kind {
            case .symlink:
                contents[e.path] = "link:" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + e.path)) ?? "")
            case .file:
                if i < cached.count, let digest = cached[i] {
                    contents[e.path] = digest
                } else {
                    toHash.append(e)
                }
            default:
                break
            }
        }
        var hashedBytes: Int64 = 0
        let results = try await FileHasher.hash(toHash.map { root + "/" + $0.path }, jobs: max(1, jobs))
        for (entry, digest) in zip(toHash, results) {
            contents[entry.path] = digest
            hashedBytes += entry.size
        }
        let context = BuildContext(root: root, entries: entries, contents: contents, ignorePatterns: patterns,
                                   bytesHashed: hashedBytes, filesHashed: toHash.count)
        if let statCache, statCache.isStale(for: context) {
            try? statCache.save(context)
        }
        return context
    }

    /// The checksum of what a COPY source selects: every entry at or below the matched paths, with
    /// path (relative to the match), type, mode, uid, gid and content. Wildcards are expanded as
    /// COPY expands them. Empty when nothing matches.
    public func checksum(selecting source: String) -> (digest: String, paths: [String]) {
        let matches = ContextSelection.match(source, in: entries)
        // One line per entry, joined by newlines and hashed: `rel NUL kind NUL mode(octal) NUL uid
        // NUL gid NUL content`, built as bytes (the same bytes as ever, so keys do not move).
        var text: [UInt8] = []
        var paths: [String] = []
        for m in matches {
            let prefix = m.isEmpty ? "" : m + "/"
            for e in entries where e.path == m || e.path.hasPrefix(prefix) {
                if !paths.isEmpty { text.append(0x0a) }
                text.append(contentsOf: e.path.utf8.dropFirst(m.utf8.count))
                text.append(0)
                text.append(contentsOf: Self.kindName(e.kind).utf8)
                text.append(0)
                text.append(contentsOf: String(e.mode & 0o7777, radix: 8).utf8)
                text.append(0)
                text.append(contentsOf: String(e.uid).utf8)
                text.append(0)
                text.append(contentsOf: String(e.gid).utf8)
                text.append(0)
                text.append(contentsOf: (contents[e.path] ?? "").utf8)
                paths.append(e.path)
            }
        }
        return (Digest.sha256(text).value, paths)
    }

    /// The kind as the checksum spells it (the case's name).
    static func kindName(_ kind: ContextEntry.Kind) -> String {
        switch kind {
        case .file: "file"
        case .directory: "directory"
        case .symlink: "symlink"
        case .other: "other"
        }
    }
}

/// How COPY sources select context paths: a path, a directory, or a wildcard pattern
/// (`*`, `?`, `[...]`, as Go's `filepath.Match`), relative to the context root.
enum ContextSelection {
    static func match(_ source: String, in entries: [ContextEntry]) -> [String] {
        let cleaned = StageResolver.join("/", source).dropFirst()
        let path = String(cleaned)
        if path.isEmpty { return [""] }
        if !path.contains(where: { "*?[".contains($0) }) {
            return entries.contains { $0.path == path } ? [path] : []
        }
        let depth = path.split(separator: "/").count
        return entries.filter { e in
            e.path.split(separator: "/").count == depth && GlobMatch.matches(pattern: path, path: e.path)
        }.map(\.path)
    }
}

/// Go's `filepath.Match` for COPY wildcards: `*` and `?` do not cross `/`, `[...]` classes.
enum GlobMatch {
    static func matches(pattern: String, path: String) -> Bool {
        let p = Array(pattern.unicodeScalars), s = Array(path.unicodeScalars)
        return match(p, 0, s, 0)
    }

    private static func match(_ p: [Unicode.Scalar], _ pi: Int, _ s: [Unicode.Scalar], _ si: Int) -> Bool {
        var pi = pi, si = si
        while pi < p.count {
            switch p[pi] {
            case "*":
                var k = si
                while true {
                    if match(p, pi + 1, s, k) { return true }
                    if k >= s.count || s[k] == "/" { return false }
                    k += 1
                }
            case "?":
                guard si < s.count, s[si] != "/" else { return false }
                pi += 1
                si += 1
            case "[":
                guard si < s.count, s[si] != "/" else { return false }
                var j = pi + 1
                var negate = false
                if j < p.count, p[j] == "^" || p[j] == "!" { negate = true; j += 1 }
                var found = false
                var first = true
                while j < p.count, p[j] != "]" || first {
                    first = false
                    var lo = p[j]
                    if lo == "\\", j + 1 < p.count { j += 1; lo = p[j] }
                    var hi = lo
                    if j + 2 < p.count, p[j + 1] == "-", p[j + 2] != "]" {
                        hi = p[j + 2]
                        if hi == "\\", j + 3 < p.count { j += 1; hi = p[j + 2] }
                        j += 2
                    }
                    if s[si].value >= lo.value && s[si].value <= hi.value { found = true }
                    j += 1
                }
                guard j < p.count, found != negate else { return false }
                pi = j + 1
                si += 1
            case "\\" where pi + 1 < p.count:
                guard si < s.count, s[si] == p[pi + 1] else { return false }
                pi += 2
                si += 1
            default:
                guard si < s.count, s[si] == p[pi] else { return false }
                pi += 1
                si += 1
            }
        }
        return si == s.count
    }
}
