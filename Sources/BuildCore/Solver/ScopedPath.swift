import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a path inside a root filesystem the way the container would see it: symlinks are
/// followed, but relative to the root (an absolute link `/etc` means `<root>/etc`), and `..` never
/// climbs above the root. Writing into an image through its own symlinks can never reach the host.
enum ScopedPath {
    static func resolve(_ path: String, in root: String, followFinal: Bool = true) -> String {
        let resolved = components(path, in: root, followFinal: followFinal)
        return root + (resolved.isEmpty ? "" : "/" + resolved.joined(separator: "/"))
    }

    /// The resolved path as components below `root`, none of them `.` or `..`; a component is
    /// still a symlink only when more than 40 links were followed.
    static func components(_ path: String, in root: String, followFinal: Bool = true) -> [String] {
        var parts = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var hops = 0
        var i = 0
        while i < parts.count {
            let part = parts[i]
            i += 1
            if part == "." || part.isEmpty { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            let isLast = i == parts.count
            var st = stat()
            if (!isLast || followFinal), lstat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK, hops < 40 {
                hops += 1
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) else {
                    resolved.append(part)
                    continue
                }
                let rest = Array(parts[i...])
                if target.hasPrefix("/") { resolved = [] }
                parts = target.split(separator: "/").map(String.init) + rest
                i = 0
                continue
            }
            resolved.append(part)
        }
        return resolved
    }
}
