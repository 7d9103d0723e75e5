import CZlib
import Foundation

/// A layer's name in the store: for imported layers the hex of their diffID (so identical
/// layers are stored once), for layers committed from a build step a random id.
public struct LayerID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { value }
    public static func < (a: LayerID, b: LayerID) -> Bool { a.value < b.value }

    public init(from decoder: Decoder) throws { value = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }

    /// Ids become directory names: only `[A-Za-z0-9_-]`, 1–128 characters.
    var isValid: Bool {
        !value.isEmpty && value.count <= 128 && value.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95
        }
    }
}

/// One layer blob made from a layer: its compressed digest and size, and the diffID of the tar
/// inside. What `exportLayer` returns and `layer.json` caches.
public struct LayerExport: Codable, Sendable, Equatable {
    public var compression: LayerCompression
    /// The clamp the tar was written with; nil for none (and for imported blobs, kept verbatim).
    public var sourceDateEpoch: Int64?
    public var diffID: Digest
    public var blob: Descriptor
    /// True for the blob a layer was imported from: its bytes are the original's, whatever clamp
    /// is asked for later, so base layers keep the digests their registry gave them.
    public var imported: Bool

    public var digest: Digest { blob.digest }
    public var size: Int64 { blob.size }
    public var mediaType: String { blob.mediaType }
}

/// `<root>/layers/<id>/layer.json`.
public struct LayerMetadata: Codable, Sendable, Equatable {
    public var id: LayerID
    /// Known once the layer was imported or exported once.
    public var diffID: Digest?
    public var exports: [LayerExport]
    /// Bytes allocated on disk by `diff/`.
    public var size: Int64
    /// RFC 3339.
    public var created: String
    /// The build step that made the layer (nil for imported layers and older layers).
    public var origin: LayerOrigin?
}

/// Where a built layer came from: the step and its Dockerfile line, so a file in the layer
/// explorer or a wasted byte in the efficiency report names the line that put it there.
public struct LayerOrigin: Codable, Sendable, Equatable {
    /// The step as the progress display names it (`[build 3/5] RUN make`).
    public var step: String
    public var file: String?
    public var line: Int?

    public init(step: String, file: String? = nil, line: Int? = nil) {
        self.step = step
        self.file = file
        self.line = line
    }

    /// `Dockerfile:12` (the file's name, as BuildKit's messages show it), or nil without a line.
    public var location: String? {
        line.map { "\(file.map { ($0 as NSString).lastPathComponent } ?? "Dockerfile"):\($0)" }
    }
}

/// Layers on disk in overlayfs upper-dir format, at `<root>/layers/<id>/diff`, with metadata in
/// `layer.json` beside it. The executor stacks `diff` directories as overlay lowerdirs.
///
/// Invariants: a directory under `layers/` is complete and never changes (only `layer.json`, a
/// cache, is replaced atomically). Everything is built under `<root>/tmp` and renamed into
/// place, and removal renames out before deleting, so a killed process never leaves half a
/// layer. A value type over the file system: concurrent use is safe because every publication
/// is a single `rename`.
///
/// Beside `diff` and `layer.json`, `files` lists the layer's entries (`LayerFileList`), written
/// when the layer is made; for a layer made before lists were kept, the first reader writes it
/// (a cache, replaced atomically like `layer.json`).
public struct LayerStore: Sendable {
    public let root: String
    public let content: ContentStore
    var layersDirectory: String { root + "/layers" }
    var temporaryDirectory: String { root + "/tmp" }

    public init(root: String) throws {
        self.root = root
        content = try ContentStore(root: root)
        try FileAttributes.makeDirectories(root + "/layers")
    }

    /// The overlay-format directory of a layer (a lowerdir for the executor).
    public func layerPath(_ id: LayerID) -> String { layersDirectory + "/" + id.value + "/diff" }

    public func contains(_ id: LayerID) -> Bool {
        id.isValid && access(layersDirectory + "/" + id.value + "/layer.json", F_OK) == 0
    }

    public func metadata(_ id: LayerID) throws -> LayerMetadata {
        guard contains(id) else { throw ImageError.layerNotFound(id.value) }
        let data = try FileSource(path: layersDirectory + "/" + id.value + "/layer.json").readAll(limit: 1 << 20)
        return try CanonicalJSON.decode(LayerMetadata.self, from: data, what: "layer.json of \(id)")
    }

    /// The layer whose content has this diffID: the imported layer named by it, else any layer
    /// that was exported with it (built layers have random ids).
    public func find(diffID: Digest) throws -> LayerID? {
        let direct = LayerID(diffID.hex)
        if contains(direct) { return direct }
        for id in try all() where try metadata(id).exports.contains(where: { $0.diffID == diffID }) {
            return id
        }
        return nil
    }

    /// Bytes the layer takes on disk.
    public func size(_ id: LayerID) throws -> Int64 { try metadata(id).size }

    /// Every layer, sorted.
    public func all() throws -> [LayerID] {
        try FileAttributes.sortedNames(layersDirectory).map(LayerID.init).filter(contains)
    }

    /// Removes a layer: renamed out of `layers/` first, then deleted. Blobs stay in the content
    /// store (images may share them; pruning is the content store's business).
    public func remove(_ id: LayerID) throws {
        guard contains(id) else { throw ImageError.layerNotFound(id.value) }
        let trash = temporaryDirectory + "/remove-" + UUID().uuidString
        guard rename(layersDirectory + "/" + id.value, trash) == 0 else { throw ImageError.posix("rename", trash) }
        try FileAttributes.removeTree(trash)
    }

    /// A fresh empty directory under `<root>/tmp` (same file system as the store), for an
    /// executor's overlay upperdir/workdir; `commitLayer` turns an upperdir into a layer.
    public func makeWorkDirectory(_ label: String = "work") throws -> String {
        let path = temporaryDirectory + "/" + label + "-" + UUID().uuidString
        try FileAttributes.makeDirectories(path)
        return path
    }

    /// Moves an overlay upper directory (already in layer format) into the store as a new
    /// layer with a random id. `directory` must be on the store's file system (under `<root>`).
    public func commitLayer(fromDirectory directory: String, origin: LayerOrigin? = nil) throws -> LayerID {
        let id = LayerID(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))
        let work = try makeWorkDirectory("commit")
        do {
            guard rename(directory, work + "/diff") == 0 else {
                if errno == EXDEV {
                    throw ImageError.unsupported("layer directory \(directory) is not on the file system of \(root)")
                }
                throw ImageError.posix("rename", directory)
            }
            let (files, size) = try LayerFileList.scan(work + "/diff")
            try publish(LayerMetadata(id: id, diffID: nil, exports: [], size: size, created: Self.now(), origin: origin),
                        files: files, from: work)
            return id
        } catch {
            try? FileAttributes.removeTree(work)
            throw error
        }
    }

    /// Imports a layer blob (tar, or tar compressed with gzip, bzip2, xz or zstd; sniffed when
    /// `compression` is nil) into overlay format, named by its diffID. `expectedDiffID` is
    /// checked before anything is published; `blob`, when the blob is already in the content
    /// store, is cached as this layer's export so re-exporting keeps the original bytes. A bad
    /// or hostile archive throws
    /// and leaves the store as it was.
    @discardableResult
    public func importLayer(blobAt path: String, compression: LayerCompression? = nil, expectedDiffID: Digest? = nil,
                            blob: Descriptor? = nil, allowDevices: Bool = false) throws -> LayerID {
        let kind = try compression ?? LayerCompression.detect(fileAt: path)
        let source = try kind.decompressing(fileAt: path)
        let export = blob.flatMap { descriptor in
            LayerCompression(mediaType: descriptor.mediaType).map { (compression: $0, blob: descriptor) }
        }
        return try importLayer(from: source, expectedDiffID: expectedDiffID, blob: export, allowDevices: allowDevices)
    }

    /// Imports a layer from a stream (a pipe, a download) of the given compression. bzip2 and xz
    /// streams are staged to a temp file first, since their tools read files.
    @discardableResult
    public func importLayer(stream: ByteSource, compression: LayerCompression, expectedDiffID: Digest? = nil,
                            allowDevices: Bool = false) throws -> LayerID {
        switch compression {
        case .none:
            return try importLayer(from: stream, expectedDiffID: expectedDiffID, blob: nil, allowDevices: allowDevices)
        case .gzip:
            return try importLayer(from: Gzip.Decompressor(stream), expectedDiffID: expectedDiffID, blob: nil,
                                   allowDevices: allowDevices)
        case .zstd:
            return try importLayer(from: Zstd.Decompressor(stream), expectedDiffID: expectedDiffID, blob: nil,
                                   allowDevices: allowDevices)
        case .bzip2, .xz:
            let staged = temporaryDirectory + "/\(compression.rawValue)-" + UUID().uuidString
            defer { unlink(staged) }
            let sink = try FileSink(path: staged)
            try stream.pipe(to: sink)
            try sink.finish()
            return try importLayer(blobAt: staged, compression: compression, expectedDiffID: expectedDiffID, allowDevices: allowDevices)
        }
    }

    /// Imports a layer from bytes in memory (tests, generated layers).
    @discardableResult
    public func importLayer(tar data: Data, compression: LayerCompression? = nil, allowDevices: Bool = false) throws -> LayerID {
        let kind = compression ?? LayerCompression.detect(Array(data.prefix(LayerCompression.magicLength)))
        return try importLayer(stream: DataSource(data), compression: kind, allowDevices: allowDevices)
    }

    private func importLayer(from source: ByteSource, expectedDiffID: Digest?,
                             blob: (compression: LayerCompression, blob: Descriptor)?, allowDevices: Bool) throws -> LayerID {
        let work = try makeWorkDirectory("import")
        do {
            try FileAttributes.makeDirectories(work + "/diff")
            let hashing = HashingSource(source)
            try TarExtractor(mode: .layer(allowDevices: allowDevices)).extract(TarReader(hashing), into: work + "/diff")
            let diffID = try hashing.drainDigest()
            if let expectedDiffID, expectedDiffID != diffID {
                throw ImageError.digestMismatch(expected: expectedDiffID, actual: diffID)
            }
            let id = LayerID(diffID.hex)
            let exports = blob.map { [LayerExport(compression: $0.compression, sourceDateEpoch: nil, diffID: diffID,
                                                  blob: $0.blob, imported: true)] } ?? []
            if contains(id) {
                try FileAttributes.removeTree(work)
                if !exports.isEmpty {
                    var existing = try metadata(id)
                    if !existing.exports.contains(where: { $0.imported && $0.blob.digest == exports[0].blob.digest }) {
                        existing.exports.insert(contentsOf: exports, at: 0)
                        try writeMetadata(existing)
                    }
                }
                return id
            }
            let (files, size) = try LayerFileList.scan(work + "/diff")
            try publish(LayerMetadata(id: id, diffID: diffID, exports: exports, size: size, created: Self.now()),
                        files: files, from: work)
            return id
        } catch {
            try? FileAttributes.removeTree(work)
            throw error
        }
    }

    /// The layer as an OCI layer blob in the content store: whiteouts back to `.wh.` names,
    /// opaque directories to `.wh..wh..opq`, entries sorted, mtimes clamped to
    /// `sourceDateEpoch`. The result is cached in `layer.json` per compression and clamp (an
    /// imported layer answers with its original blob when the compression matches).
    /// `progress` hears the uncompressed bytes as they are compressed (nothing for a cached blob).
    public func exportLayer(_ id: LayerID, compression: LayerCompression = .gzip,
                            sourceDateEpoch: Int64? = nil, progress: (@Sendable (Int64) -> Void)? = nil) throws -> LayerExport {
        guard let mediaType = compression.mediaType else {
            throw ImageError.unsupported("\(compression.rawValue) layers: layers are written gzip, zstd or uncompressed")
        }
        var meta = try metadata(id)
        if let cached = meta.exports.first(where: {
            $0.compression == compression && ($0.imported || $0.sourceDateEpoch == sourceDateEpoch)
        }), content.contains(cached.blob.digest) {
            return cached
        }
        let blobWriter = try content.makeWriter()
        let diffHash: HashingSink
        switch compression {
        case .none, .bzip2, .xz:   // bzip2 and xz never get here: they have no media type
            diffHash = HashingSink(forwardingTo: blobWriter)
        case .gzip:
            diffHash = HashingSink(forwardingTo: try ParallelGzip.Compressor(forwardingTo: blobWriter))
        case .zstd:
            diffHash = HashingSink(forwardingTo: try Zstd.Compressor(forwardingTo: blobWriter))
        }
        let counted: ByteSink = progress.map { ProgressSink(forwardingTo: diffHash, report: $0) } ?? diffHash
        let tar = TarWriter(sink: counted, sourceDateEpoch: sourceDateEpoch)
        try tar.appendDirectory(layerPath(id), format: .overlayLayer)
        try tar.finish()
        let (digest, size) = try blobWriter.commit()
        guard let diffID = diffHash.digest else { throw ImageError.compression("layer hash missing") }
        let export = LayerExport(compression: compression, sourceDateEpoch: sourceDateEpoch, diffID: diffID,
                                 blob: Descriptor(mediaType: mediaType, digest: digest, size: size),
                                 imported: false)
        meta.exports.removeAll { !$0.imported && $0.compression == compression && $0.sourceDateEpoch == sourceDateEpoch }
        meta.exports.append(export)
        if meta.diffID == nil { meta.diffID = diffID }
        try writeMetadata(meta)
        return export
    }

    /// Writes `layer.json` into `work`, then renames `work` to `layers/<id>`. If the id exists
    /// already (the same diffID imported twice), the work is discarded and the existing wins.
    private func publish(_ meta: LayerMetadata, files: LayerFileList, from work: String) throws {
        let sink = try FileSink(path: work + "/layer.json", sync: true)
        try sink.write(try CanonicalJSON.encode(meta))
        try sink.finish()
        let list = try FileSink(path: work + "/files")   // the syncfs below makes it durable
        try list.write(Data(files.encoded()))
        try list.finish()
        let fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            swb_syncfs(fd)   // the extracted files reach the disk before the rename publishes them
            close(fd)
        }
        let destination = layersDirectory + "/" + meta.id.value
        if rename(work, destination) != 0 {
            if errno == EEXIST || errno == ENOTEMPTY {
                try FileAttributes.removeTree(work)
                return
            }
            throw ImageError.posix("rename", destination)
        }
        ContentStore.syncDirectory(layersDirectory)
    }

    /// The layer's file list: the one recorded when it was made, else made now from `diff` and
    /// kept for next time.
    public func fileList(_ id: LayerID) throws -> LayerFileList {
        guard contains(id) else { throw ImageError.layerNotFound(id.value) }
        let directory = layersDirectory + "/" + id.value
        if let bytes = try? FileSource(path: directory + "/files").readAll(limit: 1 << 31) {
            return try LayerFileList.decode(Array(bytes), what: "file list of layer \(id)")
        }
        let list = try LayerFileList.scan(directory + "/diff").list
        let temporary = directory + "/files.tmp-" + UUID().uuidString
        if let sink = try? FileSink(path: temporary), (try? sink.write(Data(list.encoded()))) != nil,
           (try? sink.finish()) != nil, rename(temporary, directory + "/files") == 0 {
            return list
        }
        unlink(temporary)   // a read-only store still answers
        return list
    }

    private func writeMetadata(_ meta: LayerMetadata) throws {
        let directory = layersDirectory + "/" + meta.id.value
        let temporary = directory + "/layer.json.tmp-" + UUID().uuidString
        let sink = try FileSink(path: temporary, sync: true)
        try sink.write(try CanonicalJSON.encode(meta))
        try sink.finish()
        guard rename(temporary, directory + "/layer.json") == 0 else {
            unlink(temporary)
            throw ImageError.posix("rename", directory + "/layer.json")
        }
    }

    static func now() -> String { CanonicalJSON.timestamp(Int64(Date().timeIntervalSince1970)) }
}
