import Foundation

/// The build context as a tar file for a Docker engine: what `.dockerignore` lets through (the
/// same walker a local build uses), plus the Dockerfile when it lies outside the context or is
/// ignored, under a name of its own, as the docker client sends it. Written under the state
/// root's `tmp/` and removed after the build.
struct ContextArchive {
    let path: String
    /// The Dockerfile's path inside the archive (the `dockerfile` query parameter).
    let dockerfileName: String

    static func make(context: String, dockerfile: String, in root: StateRoot) throws -> ContextArchive {
        let (patterns, ignoreFile) = ContextWalker.ignorePatterns(context: context, dockerfile: dockerfile)
        let walker = try ContextWalker(root: context, patterns: patterns, ignoreFile: ignoreFile)
        let entries = try walker.walk()
        let directory = root.path + "/tmp"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/engine-context-" + UUID().uuidString.lowercased() + ".tar"
        let contextPrefix = context.hasSuffix("/") ? context : context + "/"
        var dockerfileName = dockerfile.hasPrefix(contextPrefix) ? String(dockerfile.dropFirst(contextPrefix.count)) : ""
        if !entries.contains(where: { $0.path == dockerfileName && $0.kind == .file }) {
            dockerfileName = ".dockerfile." + UUID().uuidString.lowercased().prefix(12)
        }
        do {
            let sink = try FileSink(path: path)
            let tar = TarWriter(sink: sink)
            for entry in entries {
                let absolute = contextPrefix + entry.path
                var header = TarEntry(path: entry.path, kind: .file, mode: entry.mode, uid: Int(entry.uid), gid: Int(entry.gid))
                switch entry.kind {
                case .directory:
                    header.kind = .directory
                    try tar.write(header)
                case .symlink:
                    header.kind = .symlink
                    header.linkTarget = try TarWriter.readLink(absolute)
                    try tar.write(header)
                case .file:
                    // Opened without following a link: a context is read inside itself only.
                    let fd = open(absolute, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                    guard fd >= 0 else { throw ImageError.posix("open", absolute) }
                    header.size = entry.size
                    try tar.write(header, contentsOf: FileSource(owning: fd, path: absolute))
                case .other:
                    continue
                }
            }
            if dockerfileName.hasPrefix(".dockerfile.") {
                let text = try ScopedPath.read(PathText.lastComponent(of: dockerfile), in: PathText.parent(of: dockerfile),
                                               limit: Build.maxDockerfileBytes) ?? Data()
                try tar.write(TarEntry(path: dockerfileName, kind: .file, mode: 0o644, size: Int64(text.count)), data: text)
            }
            try tar.finish()
            try sink.finish()
        } catch {
            unlink(path)
            throw error
        }
        return ContextArchive(path: path, dockerfileName: dockerfileName)
    }

    func remove() { unlink(path) }
}
