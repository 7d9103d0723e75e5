import CZlib
import Foundation

/// Unpacks a tar stream into a directory, treating the archive as hostile. The one way archive
/// entries reach the disk: image layers (into an overlayfs upper directory) and ADD's local
/// archives (into an image's root file system).
///
/// Both ways: `..` and absolute names are refused; every entry is made through
/// `ConfinedDirectory`, under an open descriptor of its parent and never through a symlink at
/// its own name (an existing entry is replaced, except that a directory entry keeps an existing
/// directory); a hardlink may only name an existing non-directory inside the directory; symlink
/// *targets* are stored verbatim and never followed (they are resolved inside the container's
/// root at run time, where an absolute target is normal: `/bin/sh -> /bin/busybox`). Owners,
/// modes, mtimes and extended attributes are applied, except `trusted.*` attributes, so an
/// archive cannot forge overlay metadata. `Mode` says what differs.
struct TarExtractor {
    enum Mode {
        /// An image layer. Parents are walked as they are named, never through a symlink: a
        /// layer names its own directories. `.wh.<name>` becomes a 0/0 character device (an
        /// overlay whiteout) and `.wh..wh..opq` becomes `trusted.overlay.opaque=y` on its
        /// directory; other `.wh..wh.*` entries (aufs bookkeeping) are ignored. Device nodes
        /// need `allowDevices`.
        case layer(allowDevices: Bool)
        /// ADD of a local archive into `destination`, a directory of the image whose root
        /// file system is being extracted into. Each entry's parent is resolved inside that root
        /// the way the container sees it (`ScopedPath`: symlinks followed relative to the root,
        /// `..` stopped at its top), so the image's own links such as `/bin -> usr/bin` work
        /// and a link to `/` means the image's root, never the host's; the resolved parents
        /// are then walked as for layers. `.wh.` names are plain files; device nodes are created,
        /// as BuildKit's ADD does (the engine never opens one, a step's device cgroup neither).
        case add(destination: String)
    }

    /// A directory entry whose mtime is set once everything is extracted: creating its
    /// children would otherwise change it. The inode tells whether a later entry replaced it.
    private struct PendingTime {
        var parts: [String]
        var inode: UInt64
        var mtime: Int64
    }

    var mode: Mode
    /// ADD --chown: every extracted entry gets this owner (modern BuildKit), not the archive's.
    var owner: (uid: UInt32, gid: UInt32)?
    /// Whether entries get the archive's owners; false where the caller may not chown (a
    /// remote build's local output, unpacked by a user who is not root).
    var keepOwners = true

    init(mode: Mode, owner: (uid: UInt32, gid: UInt32)? = nil) {
        self.mode = mode
        self.owner = owner
    }

    func extract(_ reader: TarReader, into directory: String) throws {
        let target = try ConfinedDirectory(root: directory)
        var pendingTimes: [PendingTime] = []
        while let entry = try reader.next() {
            try Task.checkCancellation()
            let parts = try ConfinedDirectory.components(entry.path)
            guard let name = parts.last else { continue }   // the archive root ("./")
            if case .layer = mode, name.hasPrefix(".wh.") {
                try whiteout(parts, name, entry, in: target)
                continue
            }
            let display = parts.joined(separator: "/")
            let parent = try openParent(parts, create: true, in: target, display: display)
            defer { close(parent) }
            var kind = FileAttributes.Kind.file
            switch entry.kind {
            case .directory:
                kind = .directory
                try ConfinedDirectory.ensureDirectory(parent, name, mode: 0o755, display: display)
                if let made = ConfinedDirectory.attributes(parent, name) {
                    pendingTimes.append(PendingTime(parts: parts, inode: made.inode, mtime: entry.mtime))
                }
            case .file:
                let fd = try ConfinedDirectory.createFile(parent, name, display: display)
                defer { close(fd) }
                try reader.copyData(to: DescriptorSink(fd: fd, display: display))
            case .symlink:
                kind = .symlink
                guard !entry.linkTarget.isEmpty else {
                    throw ImageError.unsafeEntry(path: entry.path, reason: "symbolic link with an empty target")
                }
                try ConfinedDirectory.createSymlink(parent, name, target: entry.linkTarget, display: display)
            case .hardlink:
                try link(entry, parent: parent, leaf: name, display: display, in: target)
                continue   // a hardlink shares its target's inode and metadata
            case .characterDevice, .blockDevice:
                if case .layer(allowDevices: false) = mode { throw ImageError.deviceNotAllowed(path: entry.path) }
                kind = entry.kind == .characterDevice ? .characterDevice : .blockDevice
                try ConfinedDirectory.createNode(parent, name, type: entry.kind == .characterDevice ? S_IFCHR : S_IFBLK,
                                                 major: entry.deviceMajor, minor: entry.deviceMinor, display: display)
            case .fifo:
                kind = .fifo
                try ConfinedDirectory.createNode(parent, name, type: S_IFIFO, major: 0, minor: 0, display: display)
            }
            try ConfinedDirectory.setMetadata(parent, name, kind: kind, mode: entry.mode,
                                              uid: owner.map { Int($0.uid) } ?? entry.uid, gid: owner.map { Int($0.gid) } ?? entry.gid,
                                              mtime: entry.mtime, xattrs: entry.xattrs.filter { !$0.key.hasPrefix("trusted.") },
                                              skipTime: kind == .directory, chown: keepOwners, display: display)
        }
        // Archives list parents first: in reverse, a directory's children are done before it.
        for pending in pendingTimes.reversed() {
            guard let name = pending.parts.last else { continue }
            let display = pending.parts.joined(separator: "/")
            // A later entry may have replaced the directory, or a parent, with something else.
            guard let parent = try? openParent(pending.parts, create: false, in: target, display: display) else { continue }
            defer { close(parent) }
            guard let now = ConfinedDirectory.attributes(parent, name), now.kind == .directory, now.inode == pending.inode else {
                continue
            }
            try ConfinedDirectory.setTime(parent, name, mtime: pending.mtime, display: display)
        }
    }

    /// An open descriptor (the caller closes it) of the directory holding the entry `parts`
    /// names, its missing parents made (0755, root-owned) when `create` is set.
    private func openParent(_ parts: [String], create: Bool, in target: ConfinedDirectory, display: String) throws -> Int32 {
        switch mode {
        case .layer:
            return try target.openParent(parts, create: create, display: display)
        case .add(let destination):
            let parent = StageResolver.join(destination, parts.dropLast().joined(separator: "/"))
            return try target.openParent(ScopedPath.components(parent, in: target.root) + parts.suffix(1),
                                         create: create, display: display)
        }
    }

    private func whiteout(_ parts: [String], _ name: String, _ entry: TarEntry, in target: ConfinedDirectory) throws {
        if name == ".wh..wh..opq" {
            try markOpaque(Array(parts.dropLast()), in: target)
            return
        }
        if name.hasPrefix(".wh..wh.") { return }
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
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink to \"\(entry.linkTarget)\" points outside the destination")
        }
        guard let targetLeaf = linkParts.last else {
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink to the destination itself")
        }
        let targetPath = linkParts.joined(separator: "/")
        if targetPath == display { return }
        let targetParent: Int32
        do {
            targetParent = try openParent(linkParts, create: false, in: target, display: targetPath)
        } catch let error as ImageError {
            if case .unsafeEntry = error { throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink target goes through a symbolic link") }
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink target \"\(entry.linkTarget)\" does not exist")
        }
        defer { close(targetParent) }
        guard let existing = ConfinedDirectory.attributes(targetParent, targetLeaf) else {
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink target \"\(entry.linkTarget)\" does not exist")
        }
        guard existing.kind != .directory else {
            throw ImageError.unsafeEntry(path: entry.path, reason: "hardlink to a directory")
        }
        // Through ADD's resolved parents, another name can lead to the file already there.
        if let current = ConfinedDirectory.attributes(parent, leaf), current.inode == existing.inode, current.device == existing.device {
            return
        }
        try ConfinedDirectory.remove(parent, leaf, display: display)
        // Flags 0: link the target entry itself, never what a symlink there points to.
        guard linkat(targetParent, targetLeaf, parent, leaf, 0) == 0 else { throw ImageError.posix("link", display) }
    }
}
