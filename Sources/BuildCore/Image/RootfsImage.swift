import Foundation

/// An image made from a root file system tarball, as `docker import` makes one: a single layer
/// holding the tarball's files (tar, or tar compressed with gzip, bzip2, xz or zstd, sniffed),
/// the default `PATH`, and a history entry naming the source. How a base made with `debootstrap`
/// (or any other tool that writes a rootfs) becomes something to build `FROM`.
///
/// The tarball goes through the same hardened extractor as every image layer: no entry may
/// escape the layer, device nodes are refused (the runtime provides `/dev`), and a failed import
/// leaves the store's layers as they were: a bad tarball is refused before its layer is
/// published, and a layer this import made is removed again when a later step fails, unless an
/// image has come to use it meanwhile.
public struct RootfsImage: Sendable {
    public var tarball: String
    public var platform: Platform
    public var sourceDateEpoch: Int64?

    public init(tarball: String, platform: Platform = .host, sourceDateEpoch: Int64? = nil) {
        self.tarball = tarball
        self.platform = platform
        self.sourceDateEpoch = sourceDateEpoch
    }

    /// Imports the tarball into `store` and tags it `name`.
    @discardableResult
    public func build(into store: ImageStore, name: String, compression: LayerCompression = .gzip) throws -> ExportedImage {
        _ = try ImageStore.normalize(name)   // a bad name fails before the tarball is read
        let layers = store.layerStore
        let existing = Set(try layers.all())
        // The user's own tarball (a debootstrap rootfs has /dev nodes), as `docker import` takes it;
        // devices in untrusted input (ADD, base images) are another matter.
        let id = try layers.importLayer(blobAt: tarball, allowDevices: true)
        do {
            let created = CanonicalJSON.timestamp(sourceDateEpoch ?? Int64(Date().timeIntervalSince1970))
            let config = ImageConfig(
                platform: platform,
                config: ImageConfig.ContainerConfig(env: ["PATH=" + BusyboxImage.path]),
                created: created,
                history: [ImageConfig.History(created: created, createdBy: "swbuild: imported from \((tarball as NSString).lastPathComponent)")])
            let exported = try ImageExporter(layerStore: layers).export(layers: [id], config: config, compression: compression,
                                                                         sourceDateEpoch: sourceDateEpoch)
            try store.tag(name, manifest: exported.manifest)
            return exported
        } catch {
            // A layer that was there before (the same tarball imported already) is not ours to remove.
            if !existing.contains(id) { Self.discard(id, from: store) }
            throw error
        }
    }

    /// Removes a layer this import made, unless an image uses it: one a concurrent import of the
    /// same tarball tagged meanwhile, say. When the images cannot all be read, the layer stays
    /// (for `prune` to judge).
    private static func discard(_ id: LayerID, from store: ImageStore) {
        guard let diffID = try? store.layerStore.metadata(id).diffID, let records = try? store.list() else { return }
        for record in records {
            guard let image = try? store.resolve(record.name), !image.config.rootfs.diffIDs.contains(diffID) else { return }
        }
        try? store.layerStore.remove(id)
    }
}
