import Foundation

/// `type=local` and `type=tar`: the merged root filesystem of a layer stack, as a directory or
/// as one tar stream — what a container would see, with no whiteouts left.
///
/// Layers are applied lowest first with overlayfs semantics: a whiteout (0/0 character device)
/// removes the path, an opaque directory empties what lower layers put there, anything else
/// replaces what was below. Modes, owners (when running as root), symlinks, devices, xattrs
/// (other than `trusted.overlay.*`) and mtimes are kept; hardlinks within a layer stay links.
/// All writes into the destination go through `ConfinedDirectory`, so symlinks in the image can
/// never make the export write outside `directory`.
public struct RootfsWriter: Sendable {
    public let layerStore: LayerStore

    public init(layerStore: LayerStore) {
        self.layerStore = layerStore
    }

    /// Merges `layers` (lowest first) into `directory`, created if missing. Existing content is
    /// overlaid, like `buildx --output type=local` does.
    public func write(layers ids: [LayerID], to directory: String) throws {
        try FileAttributes.makeDirectories(directory)
        let destination = try ConfinedDirectory(root: directory)
        let owners = getuid() == 0
        var directoryTimes: [String: (Int64, Int)] = [:]
        var order: [String] = []
        for id in ids {
            guard layerStore.contains(id) else { throw ImageError.layerNotFound(id.value) }
            var links: [UInt64: String] = [:]
            try merge(layerStore.layerPath(id), relative: "", into: destination, owners: owners,
                      links: &links, times: &directoryTimes, order: &order)
        }
        // Directory mtimes once every layer is in: later layers would bump them otherwise.
        for path in order.reversed() {
            guard let (mtime, nanoseconds) = directoryTimes[path] else { continue }
            try? destination.withParent(path, create: false) { parent, leaf in
                guard ConfinedDirectory.attributes(parent, leaf)?.kind == .directory else { return }
                try ConfinedDirectory.setTime(parent, leaf, mtime: mtime, nanoseconds: nanoseconds, display: path)
            }
        }
    }

    /// The merged filesystem as one tar at `path` (written atomically), entries sorted and
    /// mtimes clamped to `sourceDateEpoch`.
    public func writeTar(layers ids: [LayerID], to path: String, sourceDateEpoch: Int64? = nil) throws {
        let staging = try layerStore.makeWorkDirectory("rootfs")
        defer { try? FileAttributes.removeTree(staging) }
        try write(layers: ids, to: staging)
        try OCIArchiveWriter.atomically(path) { sink in
            let tar = TarWriter(sink: sink, sourceDateEpoch: sourceDateEpoch)
            try tar.appendDirectory(staging, format: .plain)
            try tar.finish()
        }
    }

    private func merge(_ source: String, relative: String, into destination: ConfinedDirectory, owners: Bool,
                       links: inout [UInt64: String], times: inout [String: (Int64, Int)], order: inout [String]) throws {
        for name in try FileAttributes.sortedNames(source) {
            try Task.checkCancellation()
            let absolute = source + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            let attributes = try FileAttributes.read(absolute)
            if attributes.isWhiteout {
                do {
                    try destination.withParent(path, create: false) { parent, leaf in
                        try ConfinedDirectory.remove(parent, leaf, display: path)
                    }
                } catch ImageError.fileSystem(_, _, ENOENT) {
                    // Nothing below to hide.
                }
                continue
            }
            if attributes.kind == .socket { continue }
            let allXattrs = attributes.kind == .symlink ? [:] : try FileAttributes.xattrs(absolute)
            let opaque = allXattrs["trusted.overlay.opaque"] == Data("y".utf8)
            let xattrs = allXattrs.filter { !$0.key.hasPrefix("trusted.overlay.") }
            var linked = false
            try destination.withParent(path) { parent, leaf in
                switch attributes.kind {
                case .directory:
                    try ConfinedDirectory.ensureDirectory(parent, leaf, mode: 0o755, display: path)
                    if opaque { try ConfinedDirectory.removeChildren(parent, leaf, display: path) }
                case .file:
                    if attributes.linkCount > 1, let first = links[attributes.inode] {
                        try ConfinedDirectory.remove(parent, leaf, display: path)
                        try destination.withParent(first, create: false) { firstParent, firstLeaf in
                            guard linkat(firstParent, firstLeaf, parent, leaf, 0) == 0 else { throw ImageError.posix("link", path) }
                        }
                        linked = true
                        return
                    }
                    if attributes.linkCount > 1 { links[attributes.inode] = path }
                    let fd = try ConfinedDirectory.createFile(parent, leaf, display: path)
                    defer { close(fd) }
                    let input = open(absolute, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                    guard input >= 0 else { throw ImageError.posix("open", absolute) }
                    _ = try ConfinedDirectory.copy(FileSource(owning: input, path: absolute), into: fd, display: path)
                case .symlink:
                    try ConfinedDirectory.createSymlink(parent, leaf, target: try TarWriter.readLink(absolute), display: path)
                case .characterDevice, .blockDevice, .fifo:
                    let type: mode_t = attributes.kind == .fifo ? S_IFIFO : attributes.kind == .blockDevice ? S_IFBLK : S_IFCHR
                    try ConfinedDirectory.createNode(parent, leaf, type: type, major: attributes.rdevMajor,
                                                     minor: attributes.rdevMinor, display: path)
                case .socket:
                    return
                }
                try ConfinedDirectory.setMetadata(parent, leaf, kind: attributes.kind, mode: attributes.mode,
                                                  uid: attributes.uid, gid: attributes.gid, mtime: attributes.mtime,
                                                  mtimeNanoseconds: attributes.mtimeNanoseconds, xattrs: xattrs,
                                                  skipTime: attributes.kind == .directory, chown: owners, display: path)
            }
            if linked { continue }
            if attributes.kind == .directory {
                if times[path] == nil { order.append(path) }
                times[path] = (attributes.mtime, attributes.mtimeNanoseconds)
                try merge(absolute, relative: path, into: destination, owners: owners, links: &links, times: &times, order: &order)
            }
        }
    }
}
