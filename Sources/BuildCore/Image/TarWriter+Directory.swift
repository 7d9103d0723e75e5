import Foundation

extension TarWriter {
    /// How a directory on disk maps to archive entries.
    public enum TreeFormat: Sendable {
        /// An overlayfs upper directory becoming an OCI layer diff: a 0/0 character device is
        /// written as a `.wh.<name>` whiteout file, a directory with `trusted.overlay.opaque=y`
        /// is followed by a `.wh..wh..opq` marker, and `trusted.overlay.*` attributes are dropped.
        case overlayLayer
        /// Every file as it is (a merged root filesystem).
        case plain
    }

    /// Appends the contents of `root` (not `root` itself), depth first with names in bytewise
    /// order at every level, so the same tree always gives the same archive. Files with several
    /// links become one regular entry and hardlinks to it. Sockets are skipped (they cannot be
    /// archived). Entry paths are `prefix` + the relative path.
    public func appendDirectory(_ root: String, format: TreeFormat, prefix: String = "") throws {
        var linkTargets: [String: String] = [:]
        try appendChildren(of: root, relative: TarEntry.clean(prefix), format: format, links: &linkTargets)
    }

    private func appendChildren(of directory: String, relative: String, format: TreeFormat,
                                links: inout [String: String]) throws {
        for name in try FileAttributes.sortedNames(directory) {
            let absolute = directory + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            let attributes = try FileAttributes.read(absolute)
            var xattrs = attributes.kind == .symlink ? [:] : try FileAttributes.xattrs(absolute)
            let opaque = format == .overlayLayer && attributes.kind == .directory
                && xattrs["trusted.overlay.opaque"] == Data("y".utf8)
            if format == .overlayLayer {
                xattrs = xattrs.filter { !$0.key.hasPrefix("trusted.overlay.") }
            }
            var entry = TarEntry(path: path, kind: .file, mode: attributes.mode, uid: attributes.uid, gid: attributes.gid,
                                 mtime: attributes.mtime, xattrs: xattrs)
            switch attributes.kind {
            case .characterDevice where format == .overlayLayer && attributes.isWhiteout:
                let whiteout = (relative.isEmpty ? "" : relative + "/") + ".wh." + name
                try write(TarEntry(path: whiteout, kind: .file, mode: 0, mtime: attributes.mtime))
            case .directory:
                entry.kind = .directory
                try write(entry)
                if opaque {
                    try write(TarEntry(path: path + "/.wh..wh..opq", kind: .file, mode: 0, mtime: attributes.mtime))
                }
                try appendChildren(of: absolute, relative: path, format: format, links: &links)
            case .file:
                let key = "\(attributes.device):\(attributes.inode)"
                if attributes.linkCount > 1, let first = links[key] {
                    entry.kind = .hardlink
                    entry.linkTarget = first
                    try write(entry)
                    continue
                }
                if attributes.linkCount > 1 { links[key] = path }
                entry.size = attributes.size
                let fd = open(absolute, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                guard fd >= 0 else { throw ImageError.posix("open", absolute) }
                try write(entry, contentsOf: FileSource(owning: fd, path: absolute))
            case .symlink:
                entry.kind = .symlink
                entry.linkTarget = try Self.readLink(absolute)
                try write(entry)
            case .characterDevice, .blockDevice:
                entry.kind = attributes.kind == .characterDevice ? .characterDevice : .blockDevice
                entry.deviceMajor = attributes.rdevMajor
                entry.deviceMinor = attributes.rdevMinor
                try write(entry)
            case .fifo:
                entry.kind = .fifo
                try write(entry)
            case .socket:
                continue
            }
        }
    }

    static func readLink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { throw ImageError.posix("readlink", path) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
