import CZlib
import Foundation

/// Unpacks an OCI layer tar into an overlayfs upper directory, treating the archive as hostile.
///
/// Conversions: `.wh.<name>` becomes a 0/0 character device (an overlay whiteout) and
/// `.wh..wh..opq` becomes `trusted.overlay.opaque=y` on its directory; other `.wh..wh.*` entries
/// (aufs bookkeeping) are ignored. Safety: every path goes through `ConfinedDirectory`, so `..`
/// and absolute paths are refused, nothing is written through a symlink, and a hardlink may only
/// name an existing non-directory inside the layer. Symlink *targets* are stored verbatim and
/// never followed: they are resolved inside the container's root at run time, where an absolute
/// target is normal (`/bin/sh -> /bin/busybox`). Device nodes need `allowDevices`. `trusted.*`
/// attributes in the archive are dropped, so an archive cannot forge overlay metadata.
struct LayerExtractor {
    var allowDevices = false

    struct Result {
        var entries = 0
        var bytes: Int64 = 0
    }

    func extract(_ reader: TarReader, into directory: String) throws -> Result {
        let target = try ConfinedDirectory(root: directory)
        var result = Result()
        var directoryTimes: [(path: String, mtime: Int64)] = []
        while let entry = try reader.next() {
            try Task.checkCancellation()
            result.entries += 1
            let parts = try ConfinedDirectory.components(entry.path)
            guard let name = parts.last else { continue }   // the archive root ("./")
            let display = parts.joined(separator: "/")
            let xattrs = entry.xattrs.filter { !$0.key.hasPrefix("trusted.") }

            if name == ".wh..wh..opq" {
                try markOpaque(Array(parts.dropLast()), in: target)
                continue
            }
            if name.hasPrefix(".wh..wh.") { continue }
            if name.hasPrefix(".wh.") {
                let hidden = String(name.dropFirst(4))
                guard !hidden.isEmpty, hidden != ".", hidden != ".." else {
                    throw ImageError.unsafeEntry(path: entry.path, reason: "malformed whiteout name")
                }
                let path = (parts.dropLast() + [hidden]).joined(separator: "/")
                try target.withParent(path) { parent, leaf in
                    try ConfinedDirectory.createNode(parent, leaf, type: S_IFCHR, major: 0, minor: 0, display: path)
                    try ConfinedDirectory.setMetadata(parent, leaf, kind: .characterDevice, mode: 0, uid: 0, gid: 0,
                                                      mtime: entry.mtime, xattrs: [:], display: path)
                }
                continue
            }

            try target.withParent(display) { parent, leaf in
                var kind = FileAttributes.Kind.file
                switch entry.kind {
                case .directory:
                    kind = .directory
                    try ConfinedDirectory.ensureDirectory(parent, leaf, mode: 0o755, display: display)
                    directoryTimes.append((display, entry.mtime))
                case .file:
                    let fd = try ConfinedDirectory.createFile(parent, leaf, display: display)
                    defer { close(fd) }
                    let sink = DescriptorSink(fd: fd, display: display)
                    try reader.copyData(to: sink)
                    result.bytes += entry.size
                case .symlink:
                    kind = .symlink
                    guard !entry.linkTarget.isEmpty else {
                        throw ImageError.unsafeEntry(path: entry.path, reason: "symbolic link with an empty target")
                    }
                    try ConfinedDirectory.createSymlink(parent, leaf, target: entry.linkTarget, display: display)
                case .hardlink:
                    try link(entry, parent: parent, leaf: leaf, display: display, in: target)
                    return   // a hardlink shares its target's inode and metadata
                case .characterDevice, .blockDevice:
                    guard allowDevices else { throw ImageError.deviceNotAllowed(path: entry.path) }
                    kind = entry.kind == .characterDevice ? .characterDevice : .blockDevice
                    try ConfinedDirectory.createNode(parent, leaf, type: entry.kind == .characterDevice ? S_IFCHR : S_IFBLK,
                                                     major: entry.deviceMajor, minor: entry.deviceMinor, display: display)
                case .fifo:
                    kind = .fifo
                    try ConfinedDirectory.createNode(parent, leaf, type: S_IFIFO, major: 0, minor: 0, display: display)
                }
                try ConfinedDirectory.setMetadata(parent, leaf, kind: kind, mode: entry.mode, uid: entry.uid, gid: entry.gid,
                                                  mtime: entry.mtime, xattrs: xattrs, skipTime: kind == .directory,
                                                  display: display)
            }
        }
        // Directory mtimes last, deepest first: creating children would otherwise bump them.
        for (path, mtime) in directoryTimes.reversed() {
            try target.withParent(path, create: false) { parent, leaf in
                guard ConfinedDirectory.attributes(parent, leaf)?.kind == .directory else { return }
                try ConfinedDirectory.setTime(parent, leaf, mtime: mtime, display: path)
            }
        }
        return result
    }

    private func markOpaque(_ directory: [String], in target: ConfinedDirectory) throws {
        let value = Data("y".utf8)
        func set(_ path: String, _ display: String) throws {
            let rc = value.withUnsafeBytes { lsetxattr(path, "trusted.overlay.opaque", $0.baseAddress, value.count, 0) }
            guard rc == 0 else { throw ImageError.posix("setxattr trusted.overlay.opaque", display) }
        }
        if directory.isEmpty {
            try set(target.root, "/")
            return
        }
        let display = directory.joined(separator: "/")
        try target.withParent(display) { parent, leaf in
            try ConfinedDirectory.ensureDirectory(parent, leaf, mode: 0o755, display: display)
            try set("/proc/self/fd/\(parent)/\(leaf)", display)
        }
    }

    private func link(_ entry: TarEntry, parent: Int32, leaf: String, display: String, in target: ConfinedDirectory) throws {
        let linkParts: [String]
        do {
            linkParts = try ConfinedDirectory.components(entry.linkTarget)
        } catch {
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink to \"\(entry.linkTarget)\" points outside the layer")
        }
        guard let targetLeaf = linkParts.last else {
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink to the layer root")
        }
        let targetPath = linkParts.joined(separator: "/")
        if targetPath == display { return }
        let targetParent: Int32
        do {
            targetParent = try target.openParent(linkParts, create: false, display: targetPath)
        } catch let error as ImageError {
            if case .unsafeEntry = error { throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink target goes through a symbolic link") }
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink target \"\(entry.linkTarget)\" is not in the layer")
        }
        defer { close(targetParent) }
        guard let existing = ConfinedDirectory.attributes(targetParent, targetLeaf) else {
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink target \"\(entry.linkTarget)\" is not in the layer")
        }
        guard existing.kind != .directory else {
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink to a directory")
        }
        try ConfinedDirectory.remove(parent, leaf, display: display)
        // Flags 0: link the target entry itself, never what a symlink there points to.
        guard linkat(targetParent, targetLeaf, parent, leaf, 0) == 0 else { throw ImageError.posix("link", display) }
    }
}
