import Foundation

/// What one layer did to the image below it.
public struct LayerChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case added, changed, removed, unchanged }

    public var file: LayerFile
    public var kind: Kind
    /// For a removal: the bytes it took out of the image (a directory's whole contents).
    public var removedSize: Int64

    /// Bytes this entry adds to the layer (removals add none).
    public var size: Int64 { kind == .removed ? 0 : file.size }
}

/// One layer of an image, with its changes classified against the layers below it.
public struct AnalyzedLayer: Sendable, Equatable {
    public var changes: [LayerChange]
    /// Bytes of content the layer carries.
    public var size: Int64
    public var added = 0
    public var changed = 0
    public var removed = 0
}

/// A path that costs the image more than once: written by several layers, or written and then
/// deleted. `layers` are the indices of the layers that touched it, oldest first.
public struct WastedFile: Sendable, Equatable, Codable {
    public var path: String
    /// Every layer's bytes for this path added up, as dive counts them.
    public var bytes: Int64
    public var layers: [Int]
}

/// Image efficiency as dive computes it: for every path that is a leaf in a layer (a file, a link,
/// a whiteout or an empty directory), the bytes each layer spent on it; the score is the
/// smallest of those per path over their sum, so a file rewritten or deleted by a later layer
/// lowers it. "Wasted" is the sum over the paths touched more than once.
///
/// One difference, on purpose: dive counts a deleted directory once, at the directory's own
/// path, so `rm -rf /var/cache/apk` after filling it scores 100% there. Here deleting a directory
/// deletes each file below it, and their bytes are wasted like a deleted file's.
public struct ImageEfficiency: Sendable, Equatable, Codable {
    public var score: Double
    public var wastedBytes: Int64
    /// Bytes of every layer.
    public var sizeBytes: Int64
    /// Bytes of every layer but the first (what the Dockerfile's own steps added, for a one-layer base).
    public var userSizeBytes: Int64
    /// Wasted bytes over `userSizeBytes` (0 when there are none).
    public var userWastedPercent: Double
    /// Largest first.
    public var files: [WastedFile]
}

/// Stacks layer file lists the way overlayfs does and reports each layer's changes and the
/// image's efficiency. Pure computation over the lists, so it runs on recorded lists without
/// touching any layer's files: 100,000 entries take a fraction of a second.
public enum LayerAnalysis {
    public static func analyze(_ layers: [LayerFileList]) -> (layers: [AnalyzedLayer], efficiency: ImageEfficiency) {
        var tree = StackedTree()
        var analyzed: [AnalyzedLayer] = []
        var tally: [String: (total: Int64, minimum: Int64, layers: [Int])] = [:]
        var order: [String] = []
        for (index, list) in layers.enumerated() {
            var layer = AnalyzedLayer(changes: [], size: 0)
            layer.changes.reserveCapacity(list.files.count)
            let files = list.files
            for (i, file) in files.enumerated() {
                var change = LayerChange(file: file, kind: .added, removedSize: 0)
                let existing = tree.find(file.path)
                // A deleted file costs its bytes (the whiteout adds 0). A deleted directory counts
                // as the deletion of every file below it, so its contents are wasted too.
                var removedBelow: [(path: String, size: Int64)] = []
                if file.kind == .whiteout {
                    change.kind = .removed
                    change.removedSize = existing.map { tree.subtreeSize($0) } ?? 0
                    if let existing {
                        if tree.nodes[existing].isDirectory { removedBelow = tree.leaves(below: existing, path: file.path) }
                        tree.remove(existing)
                    }
                } else if let existing {
                    let node = tree.nodes[existing]
                    if file.kind == .directory, node.isDirectory {
                        let same = node.mode == file.mode && node.uid == file.uid && node.gid == file.gid
                        change.kind = same && !file.opaque ? .unchanged : .changed
                        if file.opaque { tree.removeChildren(existing) }
                        tree.update(existing, with: file)
                    } else {
                        change.kind = .changed
                        tree.remove(existing)
                        tree.insert(file)
                    }
                } else {
                    tree.insert(file)
                }
                switch change.kind {
                case .added: layer.added += 1
                case .changed: layer.changed += 1
                case .removed: layer.removed += 1
                case .unchanged: break
                }
                layer.size += change.size
                layer.changes.append(change)
                // A leaf of this layer's own tree: not a directory with entries below it here.
                let isLeaf = file.kind != .directory || i + 1 == files.count || !isBelow(files[i + 1].path, file.path)
                let touched = !removedBelow.isEmpty ? removedBelow.map { ($0.path, Int64(0)) }
                    : isLeaf ? [(file.path, file.kind == .whiteout ? 0 : file.size)] : []
                for (path, bytes) in touched {
                    if var entry = tally[path] {
                        entry.total += bytes
                        entry.minimum = min(entry.minimum, bytes)
                        entry.layers.append(index)
                        tally[path] = entry
                    } else {
                        tally[path] = (bytes, bytes, [index])
                        order.append(path)
                    }
                }
            }
            analyzed.append(layer)
        }
        var minimum: Int64 = 0
        var total: Int64 = 0
        var wasted: [WastedFile] = []
        var wastedBytes: Int64 = 0
        for path in order {
            guard let entry = tally[path] else { continue }
            minimum += entry.minimum
            total += entry.total
            // A path touched twice that costs nothing (a directory copied up empty) wastes nothing.
            if entry.layers.count > 1, entry.total > 0 {
                wasted.append(WastedFile(path: path, bytes: entry.total, layers: entry.layers))
                wastedBytes += entry.total
            }
        }
        wasted.sort { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : $0.path < $1.path }
        let size = analyzed.reduce(0) { $0 + $1.size }
        let user = analyzed.dropFirst().reduce(0) { $0 + $1.size }
        let efficiency = ImageEfficiency(score: total == 0 ? 1 : Double(minimum) / Double(total), wastedBytes: wastedBytes,
                                         sizeBytes: size, userSizeBytes: user,
                                         userWastedPercent: user == 0 ? 0 : Double(wastedBytes) / Double(user),
                                         files: wasted)
        return (analyzed, efficiency)
    }

    /// Whether `path` is inside directory `directory` (both relative, no trailing slash).
    static func isBelow(_ path: String, _ directory: String) -> Bool {
        let p = path.utf8, d = directory.utf8
        guard p.count > d.count, p.starts(with: d) else { return false }
        return p[p.index(p.startIndex, offsetBy: d.count)] == UInt8(ascii: "/")
    }
}

/// The image's filesystem as the layers so far stack up: a tree of nodes in arrays, so a path
/// is found by a few dictionary lookups and a deleted directory's contents are summed by a walk
/// of that subtree only.
struct StackedTree {
    struct Node {
        var children: [Substring: Int] = [:]
        var size: Int64 = 0
        var isDirectory = true
        var mode: UInt32 = 0o755
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        var parent = 0
        var name: Substring = ""
    }

    var nodes: [Node] = [Node()]

    func find(_ path: String) -> Int? {
        var current = 0
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard let next = nodes[current].children[part] else { return nil }
            current = next
        }
        return current == 0 ? nil : current
    }

    /// Adds `file`, making missing parent directories (a layer may omit them).
    mutating func insert(_ file: LayerFile) {
        var current = 0
        let parts = file.path.split(separator: "/", omittingEmptySubsequences: true)
        for (n, part) in parts.enumerated() {
            if let next = nodes[current].children[part] {
                current = next
                if n == parts.count - 1 { update(current, with: file) }
                continue
            }
            nodes.append(Node(parent: current, name: part))
            let index = nodes.count - 1
            nodes[current].children[part] = index
            current = index
            if n == parts.count - 1 { update(index, with: file) }
        }
    }

    mutating func update(_ index: Int, with file: LayerFile) {
        nodes[index].isDirectory = file.kind == .directory
        nodes[index].size = file.size
        nodes[index].mode = file.mode
        nodes[index].uid = file.uid
        nodes[index].gid = file.gid
    }

    func subtreeSize(_ index: Int) -> Int64 {
        var total: Int64 = 0
        var stack = [index]
        while let i = stack.popLast() {
            total += nodes[i].size
            stack.append(contentsOf: nodes[i].children.values)
        }
        return total
    }

    /// The paths and sizes of the entries below `index` with nothing below them (files, links,
    /// empty directories), as their layers listed them; `path` is `index`'s own.
    func leaves(below index: Int, path: String) -> [(path: String, size: Int64)] {
        var out: [(String, Int64)] = []
        var stack: [(Int, String)] = nodes[index].children.map { ($0.value, path + "/" + $0.key) }
        while let (i, p) = stack.popLast() {
            if nodes[i].children.isEmpty {
                out.append((p, nodes[i].size))
            } else {
                stack.append(contentsOf: nodes[i].children.map { ($0.value, p + "/" + $0.key) })
            }
        }
        return out
    }

    /// Detaches `index` from its parent; its subtree becomes unreachable.
    mutating func remove(_ index: Int) {
        nodes[nodes[index].parent].children[nodes[index].name] = nil
    }

    mutating func removeChildren(_ index: Int) { nodes[index].children = [:] }
}
