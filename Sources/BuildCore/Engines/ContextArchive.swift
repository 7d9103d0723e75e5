import CLinux
import CZlib
import Foundation

/// The build context as a tar file for a Docker engine: what `.dockerignore` lets through (the
/// same walker a local build uses), plus the Dockerfile when it lies outside the context or is
/// ignored, under a name of its own, as the docker client sends it. Written under the state
/// root's `tmp/` and removed after the build.
///
/// Every file is opened below the context as if it were `/` (openat2 `RESOLVE_IN_ROOT`), so a
/// context changed between the walk and the read (a directory swapped for a link to the host)
/// still sends nothing from outside it.
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
        let rootFD = open(context, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw ImageError.posix("open", context) }
        defer { close(rootFD) }
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
                    header.linkTarget = try readLink(entry.path, in: rootFD, display: absolute)
                    try tar.write(header)
                case .file:
                    let fd = swb_openat_in_root(rootFD, entry.path, O_RDONLY | O_NOFOLLOW, 0)
                    guard fd >= 0 else { throw ImageError.posix("open", absolute) }
                    var st = stat()
                    guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
                        close(fd)
                        throw ImageError.unsafeEntry(path: entry.path, reason: "no longer a regular file")
                    }
                    header.size = Int64(st.st_size)
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

    /// A link's target, its directory opened below the context root.
    private static func readLink(_ relative: String, in rootFD: Int32, display: String) throws -> String {
        let parent = PathText.parent(of: relative)
        let parentFD = swb_openat_in_root(rootFD, parent.isEmpty ? "." : parent, swb_o_path() | O_DIRECTORY, 0)
        guard parentFD >= 0 else { throw ImageError.posix("open", display) }
        defer { close(parentFD) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(parentFD, PathText.lastComponent(of: relative), &buffer, buffer.count - 1)
        guard n >= 0 else { throw ImageError.posix("readlink", display) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
