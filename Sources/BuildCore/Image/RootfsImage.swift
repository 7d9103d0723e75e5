import Foundation

/// An image made from a root file system tarball, as `docker import` makes one: a single layer
/// holding the tarball's files (tar, tar+gzip or tar+zstd, sniffed), the default `PATH`, and a
/// history entry naming the source. How a base made with `debootstrap` (or any other tool that
/// writes a rootfs) becomes something to build `FROM`.
///
/// The tarball goes through the same hardened extractor as every image layer: no entry may
/// escape the layer, device nodes are refused (the runtime provides `/dev`), and a bad tarball
/// leaves the store as it was.
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
        let layers = store.layerStore
        let id = try layers.importLayer(blobAt: tarball)
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
    }
}
