import Foundation

/// An image's layers with what each changed, who made it, and the image's efficiency: what
/// `swbuild-tui layers`, `history inspect --layers` and the dashboard's layer explorer show.
/// Everything comes from the file lists recorded with the layers; no layer is read.
public struct LayerReport: Sendable, Equatable {
    public struct Layer: Sendable, Equatable {
        public var id: String
        /// The build step that made it, when swbuild built it.
        public var origin: LayerOrigin?
        /// The image history's `created_by` for it (base images, other builders).
        public var createdBy: String?
        public var analyzed: AnalyzedLayer

        public init(id: String, origin: LayerOrigin? = nil, createdBy: String? = nil, analyzed: AnalyzedLayer) {
            self.id = id
            self.origin = origin
            self.createdBy = createdBy
            self.analyzed = analyzed
        }

        /// The best description there is: the step and its Dockerfile line, else the history.
        public var title: String {
            if let origin { return origin.location.map { "\(origin.step)  (\($0))" } ?? origin.step }
            return createdBy ?? "layer \(id.prefix(12))"
        }
    }

    public var layers: [Layer]
    public var efficiency: ImageEfficiency

    public init(layers: [Layer], efficiency: ImageEfficiency) {
        self.layers = layers
        self.efficiency = efficiency
    }

    /// A report over file lists given directly (tests, lists from elsewhere).
    public init(lists: [LayerFileList], origins: [LayerOrigin?] = []) {
        let (analyzed, efficiency) = LayerAnalysis.analyze(lists)
        layers = analyzed.enumerated().map { i, a in
            Layer(id: "layer\(i + 1)", origin: origins.indices.contains(i) ? origins[i] : nil, analyzed: a)
        }
        self.efficiency = efficiency
    }

    /// The report for a stack of layers in the store, bottom first. `history` is the image
    /// config's, when there is one (its non-empty entries name the layers in order).
    public static func load(layers ids: [String], store: LayerStore, history: [ImageConfig.History]? = nil) throws -> LayerReport {
        var lists: [LayerFileList] = []
        var origins: [LayerOrigin?] = []
        for id in ids {
            let layer = LayerID(id)
            lists.append(try store.fileList(layer))
            origins.append(try store.metadata(layer).origin)
        }
        let createdBy = (history ?? []).filter { $0.emptyLayer != true }.map(\.createdBy)
        let (analyzed, efficiency) = LayerAnalysis.analyze(lists)
        let layers = analyzed.enumerated().map { i, a in
            Layer(id: ids[i], origin: origins[i], createdBy: createdBy.count == ids.count ? createdBy[i] : nil, analyzed: a)
        }
        return LayerReport(layers: layers, efficiency: efficiency)
    }

    /// The report for an image in the local store (a name, `name@sha256:…` or a manifest digest).
    public static func load(image name: String, store: ImageStore, platform: Platform = .host) throws -> LayerReport {
        let image = try store.resolve(name, platform: platform)
        let layers = store.layerStore
        var byDiffID: [Digest: LayerID]?
        let ids = try image.config.rootfs.diffIDs.map { diffID -> String in
            let direct = LayerID(diffID.hex)
            if layers.contains(direct) { return direct.value }
            // A built layer has a random id: one pass over the store's layers finds them all.
            if byDiffID == nil {
                var map: [Digest: LayerID] = [:]
                for id in try layers.all() {
                    for export in try layers.metadata(id).exports { map[export.diffID] = id }
                }
                byDiffID = map
            }
            guard let id = byDiffID?[diffID] else {
                throw ImageError.invalidImage("layer \(diffID) of \(name) is not in the local store")
            }
            return id.value
        }
        return try load(layers: ids, store: layers, history: image.config.history)
    }
}
