import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Solver {
    /// Applies a file vertex's actions, in order, on the merged view of its base.
    func applyFileOp(_ file: FileOp, vertex v: Vertex, inputs: [VertexResult], merged: String,
                     cleanups: inout [@Sendable () -> Void]) async throws {
        let users = UserResolver(rootfs: merged)
        func owner(_ spec: String?) -> (UInt32, UInt32)? {
            guard let spec, !spec.isEmpty else { return nil }
            let resolved = users.chownOwner(spec)
            return (resolved.uid, resolved.gid)
        }
        for action in file.actions {
            try Task.checkCancellation()
            switch action {
            case .mkdir(let path, let mode, _, let ownerSpec):
                let resolved = try ScopedPath.resolve(path, in: merged)
                try FileActions.mkdirAll(resolved, mode: mode, owner: owner(ownerSpec))
            case .mkfile(let path, let mode, _, let content, let ownerSpec):
                let resolved = try ScopedPath.resolve(path, in: merged, followFinal: false)
                try FileActions.writeFile(Data(content.utf8), at: resolved, mode: mode, owner: owner(ownerSpec) ?? (0, 0))
            case .rm(let path, let allowNotFound):
                let resolved = try ScopedPath.resolve(path, in: merged, followFinal: false)
                do {
                    try FileManager.default.removeItem(atPath: resolved)
                } catch {
                    if !allowNotFound { throw SolveError(message: "cannot remove \(path): not found") }
                }
            case .copy(let c):
                let (root, context) = try sourceRoot(input: c.input, vertex: v, inputs: inputs, cleanups: &cleanups)
                try CopyPlanner(action: c, sourceRoot: root, context: context, destinationRoot: merged,
                                owner: owner(c.owner)).run()
            }
        }
    }
}

/// COPY/ADD semantics: wildcard expansion, "a directory's contents", destination rules
/// (trailing `/`, existing directory), `--parents`, `--exclude`, `--chmod`, ADD's archive
/// unpacking, all scoped to the destination root filesystem.
struct CopyPlanner {
    let action: CopyAction
    let sourceRoot: String
    let context: BuildContext?
    let destinationRoot: String
    /// `--chown`; nil keeps the owners of a stage's files and makes the context's root's.
    let owner: (UInt32, UInt32)?

    /// The owner of copied entries: `--chown`, else 0:0 from the context (BuildKit's context
    /// transfer resets them), else the source's own (nil).
    var entryOwner: (UInt32, UInt32)? { owner ?? (context != nil ? (0, 0) : nil) }

    var mode: UInt32? { action.mode.flatMap { UInt32($0, radix: 8) } }
    /// Directories COPY creates (destination, missing parents): `--chmod`'s mode, else 0755.
    var dirMode: UInt32 { mode ?? 0o755 }

    func matches() throws -> [String] {
        let pattern = String(StageResolver.join("/", action.source).dropFirst())
        if let context {
            let found = ContextSelection.match(action.source, in: context.entries)
            // A wildcard may match nothing when the op allows it (dockerfile2llb's COPY does); a name must exist.
            if found.isEmpty && !(pattern.contains(where: { "*?[".contains($0) }) && action.allowEmptyWildcard) {
                throw SolveError(message: "failed to compute cache key: \"/\(pattern)\": not found (is it excluded by .dockerignore?)")
            }
            return found
        }
        if pattern.isEmpty { return [""] }
        if !pattern.contains(where: { "*?[".contains($0) }) {
            var st = stat()
            guard let resolved = try? ScopedPath.resolve(pattern, in: sourceRoot), lstat(resolved, &st) == 0 else {
                throw SolveError(message: "failed to compute cache key: \"/\(pattern)\": not found")
            }
            return [pattern]
        }
        var found: [String] = []
        try FileActions.walk(sourceRoot, relative: "") { rel, _ in
            let depth = rel.split(separator: "/").count
            if depth == pattern.split(separator: "/").count, GlobMatch.matches(pattern: pattern, path: rel) { found.append(rel) }
            return depth < pattern.split(separator: "/").count
        }
        if found.isEmpty && !action.allowEmptyWildcard {
            throw SolveError(message: "failed to compute cache key: no source files match \"\(pattern)\"")
        }
        return found
    }

    /// A matched source on the host: followed inside its root when it is a symlink, as BuildKit
    /// follows a named source (links inside a copied directory stay links). `relative` is where
    /// it ended up below the root.
    func resolveSource(_ rel: String) throws -> (path: String, relative: String, isDirectory: Bool) {
        let path = try ScopedPath.resolve(rel, in: sourceRoot)
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw SolveError(message: "failed to compute cache key: \"/\(rel)\": not found")
        }
        let relative = path == sourceRoot ? "" : String(path.dropFirst(sourceRoot.count + 1))
        return (path, relative, (st.st_mode & S_IFMT) == S_IFDIR)
    }

    func run() throws {
        let found = try matches()
        let exclude = try? PatternMatcher(patterns: action.excludes)
        let destination = action.destination
        let destResolved = try ScopedPath.resolve(destination, in: destinationRoot)
        var st = stat()
        let destIsExistingDir = stat(destResolved, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
        let intoDirectory = destination.hasSuffix("/") || destIsExistingDir
        if found.count > 1 && !intoDirectory {
            throw SolveError(message: "When using COPY with more than one source file, the destination must be a directory and end with a /")
        }
        // What the context sends: its entries, and the directories above them (an exception such
        // as `!logs/keep.log` under an excluded `logs` brings the directory along, as BuildKit's).
        let contextIndex = context.map { context in
            var index = Set(context.entries.map(\.path))
            for e in context.entries {
                var parent = PathText.parent(of: e.path)
                while !parent.isEmpty, parent != "/", index.insert(parent).inserted { parent = PathText.parent(of: parent) }
            }
            return index
        }
        let fastIncluded: (String) -> Bool = { rel in
            if let contextIndex, !contextIndex.contains(rel) { return false }
            if let exclude, !action.excludes.isEmpty, (try? exclude.matchesOrParentMatches(rel)) == true { return false }
            return true
        }
        // Files linked to each other stay linked in the copy (one instruction's scope, as BuildKit).
        // Each source is copied on its own (BuildKit copies every wildcard match separately): links
        // between two matches are not kept, links inside one copied directory are.
        var links: [String: String] = [:]
        func copy(_ from: String, _ to: String) throws {
            var st = stat()
            guard lstat(from, &st) == 0 else { throw FileActions.Failure("cannot read \(from): \(FileActions.errnoText())") }
            if (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink > 1 {
                let key = "\(st.st_dev):\(st.st_ino)"
                if let first = links[key] {
                    var existing = stat()
                    if lstat(to, &existing) == 0 {
                        if (existing.st_mode & S_IFMT) == S_IFDIR { try? FileManager.default.removeItem(atPath: to) } else { unlink(to) }
                    }
                    if link(first, to) == 0 { return }
                }
                links[key] = to
            }
            try FileActions.copyEntry(from: from, to: to, owner: entryOwner, mode: mode, known: st)
        }
        for m in found {
            links = [:]
            let source = try resolveSource(m)
            let src = source.path
            if action.attemptUnpack, !source.isDirectory, let archive = ArchiveUnpacker.archive(at: src) {
                try FileActions.mkdirAll(try ScopedPath.resolve(destination, in: destinationRoot), mode: dirMode, owner: owner)
                try ArchiveUnpacker(rootfs: destinationRoot, destination: destination, owner: owner)
                    .unpack(archive, from: src)
                continue
            }
            var target: String
            if action.parents {
                let parentRel = PathText.parent(of: m)
                let base = StageResolver.join(destination, parentRel)
                try FileActions.mkdirAll(try ScopedPath.resolve(base, in: destinationRoot), mode: dirMode, owner: owner)
                target = StageResolver.join(base, PathText.lastComponent(of: m))
            } else if source.isDirectory {
                target = destination
            } else {
                target = intoDirectory ? StageResolver.join(destination, PathText.lastComponent(of: m)) : destination
            }
            // Followed to the end: copying onto a link writes where the link points, inside the image.
            let resolvedTarget = try ScopedPath.resolve(target, in: destinationRoot)
            try FileActions.mkdirAll(PathText.parent(of: resolvedTarget), mode: dirMode, owner: owner)
            if source.isDirectory {
                // A destination directory that exists keeps its mode and owner; a new one gets them.
                try FileActions.mkdirAll(resolvedTarget, mode: dirMode, owner: owner)
                let prefix = source.relative.isEmpty ? "" : source.relative + "/"
                try FileActions.walk(src, relative: "") { rel, isDir in
                    guard fastIncluded(prefix + rel) else { return false }
                    try copy(src + "/" + rel, resolvedTarget + "/" + rel)
                    return isDir
                }
            } else {
                guard fastIncluded(source.relative) || source.relative.isEmpty else { continue }
                try copy(src, resolvedTarget)
            }
        }
    }
}
