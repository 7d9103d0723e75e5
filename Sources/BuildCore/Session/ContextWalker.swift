import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One entry of the build context as the build sees it.
public struct ContextEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case file, directory, symlink, other }
    /// Relative to the context root, `/`-separated, no leading `./`.
    public var path: String
    public var kind: Kind
    public var size: Int64
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// Only used to decide whether a cached checksum is still valid; never part of a checksum.
    public var mtimeNanoseconds: Int64 = 0
    public var inode: UInt64 = 0
}

/// Walks a build context top-down, leaving out what `.dockerignore` excludes. An excluded
/// directory is not entered unless an exception (`!pattern`) could bring a child back, as in
/// BuildKit's fsutil walker; so a large ignored tree (node_modules, .git) costs nothing.
public struct ContextWalker: Sendable {
    public var root: String
    public var matcher: PatternMatcher

    /// `ignoreFile` (with its text) lets a bad pattern be reported at its line.
    public init(root: String, patterns: [String], ignoreFile: String? = nil) throws(FrontendError) {
        self.root = root
        do {
            self.matcher = try PatternMatcher(patterns: patterns)
        } catch {
            let bad = patterns.first { (try? PatternMatcher(patterns: [$0])) == nil } ?? ""
            var location: SourceLocation?
            if let ignoreFile, let text = try? String(contentsOfFile: ignoreFile, encoding: .utf8) {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                if let n = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasSuffix(bad) }) {
                    location = SourceLocation(file: ignoreFile, line: n + 1)
                }
            }
            throw FrontendError(.ignorePattern, "invalid .dockerignore pattern \(GoQuote.quote(bad)): \(error.description)", at: location)
        }
    }

    /// The `.dockerignore` patterns for a build: `<Dockerfile>.dockerignore` next to the
    /// Dockerfile wins over `CONTEXT/.dockerignore`, as in BuildKit.
    public static func ignorePatterns(context: String, dockerfile: String?) -> (patterns: [String], file: String?) {
        var candidates: [String] = []
        if let dockerfile { candidates.append(dockerfile + ".dockerignore") }
        candidates.append((context as NSString).appendingPathComponent(".dockerignore"))
        for path in candidates {
            // Decode leniently: an odd byte must not make the file look absent.
            // Inside its directory: a link to a host file is not followed out of it.
            if let data = try? ScopedPath.read(PathText.lastComponent(of: path), in: PathText.parent(of: path), limit: 16 << 20) {
                return (DockerignoreFile.parse(String(decoding: data, as: UTF8.self)), path)
            }
        }
        return ([], nil)
    }

    /// Every entry the build sees, sorted by path bytes. Directories are included.
    public func walk() throws(FrontendError) -> [ContextEntry] {
        var out: [ContextEntry] = []
        var rootInfo = stat()
        guard lstat(root, &rootInfo) == 0, (rootInfo.st_mode & S_IFMT) == S_IFDIR else {
            throw FrontendError(.io, "build context \(root) is not a directory")
        }
        // The top level here; its subdirectories' trees in parallel (stat calls dominate).
        var deferred: [(String, MatchInfo)]? = []
        try walkDirectory(relative: "", parent: MatchInfo(), into: &out, deferring: &deferred)
        let subtrees = deferred ?? []
        let results = SubtreeResults(count: subtrees.count)
        DispatchQueue.concurrentPerform(iterations: subtrees.count) { i in
            var entries: [ContextEntry] = []
            do throws(FrontendError) {
                try walkDirectory(relative: subtrees[i].0, parent: subtrees[i].1, into: &entries)
                results.set(i, .success(entries))
            } catch {
                results.set(i, .failure(error))
            }
        }
        for result in results.all {
            switch result {
            case .success(let entries): out += entries
            case .failure(let error): throw error
            case nil: break
            }
        }
        return Self.sortedByPath(out)
    }

    /// The entries in byte order of their paths. Sorting indices by byte keys moves no entries
    /// and compares with `memcmp`: on big trees this was most of an unchanged load.
    static func sortedByPath(_ entries: [ContextEntry]) -> [ContextEntry] {
        let keys = entries.map { ContiguousArray($0.path.utf8) }
        let order = keys.indices.sorted { i, j in
            keys[i].withUnsafeBufferPointer { x in keys[j].withUnsafeBufferPointer { y in compare(x, y) < 0 } }
        }
        return order.map { entries[$0] }
    }

    /// The order of context paths: by bytes, a prefix first. The stat cache is kept in it too.
    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        if n > 0, let x = a.baseAddress, let y = b.baseAddress {
            let c = memcmp(x, y, n)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    /// What each parallel subtree walk found.
    private final class SubtreeResults: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Result<[ContextEntry], FrontendError>?]

        init(count: Int) { values = Array(repeating: nil, count: count) }

        func set(_ i: Int, _ value: Result<[ContextEntry], FrontendError>) { lock.withLock { values[i] = value } }

        var all: [Result<[ContextEntry], FrontendError>?] { lock.withLock { values } }
    }

    private func walkDirectory(relative: String, parent: MatchInfo, into out: inout [ContextEntry]) throws(FrontendError) {
        var none: [(String, MatchInfo)]? = nil
        try walkDirectory(relative: relative, parent: parent, into: &out, deferring: &none)
    }

    /// Walks one directory, descending into subdirectories, or leaving them in `deferred` when
    /// it is given (for the caller to walk).
    private func walkDirectory(relative: String, parent: MatchInfo, into out: inout [ContextEntry],
                               deferring deferred: inout [(String, MatchInfo)]?) throws(FrontendError) {
        let dirPath = relative.isEmpty ? root : root + "/" + relative
        guard let dir = opendir(dirPath) else {
            throw FrontendError(.io, "cannot read \(dirPath): \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        let fd = dirfd(dir)
        let filtering = !matcher.patterns.isEmpty
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        for name in names {
            let rel = relative.isEmpty ? name : relative + "/" + name
            var st = stat()
            // Relative to the open directory: no path walk from the root for every file.
            guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            let type = st.st_mode & S_IFMT
            var info = MatchInfo()
            if filtering {
                do {
                    info = try matcher.matchesUsingParentResults(rel, parent: parent)
                } catch {
                    throw FrontendError(.ignorePattern, "invalid .dockerignore pattern: \(error.description)")
                }
            }
            let kind: ContextEntry.Kind = type == S_IFDIR ? .directory : type == S_IFREG ? .file : type == S_IFLNK ? .symlink : .other
            if type == S_IFDIR {
                if info.isMatched && !matcher.hasExclusions { continue }
                if !info.isMatched {
                    out.append(ContextEntry(path: rel, kind: .directory, size: 0, mode: UInt32(st.st_mode), uid: st.st_uid, gid: st.st_gid,
                                            mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), inode: UInt64(st.st_ino)))
                }
                if deferred != nil {
                    deferred?.append((rel, info))
                } else {
                    try walkDirectory(relative: rel, parent: info, into: &out)
                }
                continue
            }
            if info.isMatched { continue }
            out.append(ContextEntry(path: rel, kind: kind, size: Int64(st.st_size), mode: UInt32(st.st_mode), uid: st.st_uid, gid: st.st_gid,
                                    mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec), inode: UInt64(st.st_ino)))
        }
    }
}
