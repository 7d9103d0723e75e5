import Foundation

/// The export phase of a build: the target's layers and config become an image (content store),
/// then each requested output is written; `-t` names go to the local image store.
struct Exporting {
    let build: Build
    let prepared: PreparedBuild
    let results: [Digest: VertexResult]

    struct Exported {
        var imageDigest: String?
        var outputs: [String]
    }

    func run(events: AsyncStream<BuildEvent>.Continuation) async throws -> Exported {
        let request = build.request
        let plan = prepared.plan
        let graph = prepared.graph
        let snapshot = graph.target.flatMap { results[$0]?.snapshot } ?? .empty
        // The base image config, when the chain starts from an image.
        let chain = ImageConfigBuilder.chain(plan, to: plan.targetIndex)
        var baseConfig: Data?
        if case .image(let ref) = plan.stages[chain[0]].source {
            baseConfig = try await prepared.images.resolve(ImageReference.normalize(ref), platform: plan.stages[chain[0]].platform).config
        }
        let created = request.sourceDateEpoch.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date()
        var config = ImageConfigBuilder(plan: plan, baseConfig: baseConfig, created: created).build(stage: plan.targetIndex)
        if !request.labels.isEmpty {
            // `--label` as buildx applies it: over the Dockerfile's LABELs, without a history entry.
            var container = config.config ?? ImageConfig.ContainerConfig()
            container.labels = (container.labels ?? [:]).merging(request.labels) { _, given in given }
            config.config = container
        }
        var outputs = request.outputs
        if outputs.isEmpty && !request.tags.isEmpty { outputs = [OutputSpec(kind: .image)] }
        guard !outputs.isEmpty else {
            return Exported(imageDigest: nil, outputs: try await exportCache(final: snapshot.layers, events: events))
        }

        let exportVertex = Digest.sha256("export:" + build.buildID)
        events.yield(BuildEvent(.plan([PlannedVertex(digest: exportVertex, name: "exporting to image", inputs: graph.target.map { [$0] } ?? [],
                                                     stage: nil, startLine: nil, endLine: nil)])))
        events.yield(BuildEvent(.vertexStarted(exportVertex)))
        let started = Date()
        let layerStore = prepared.snapshotter.layers
        // Compression only where a compressed blob is asked for: an image that only goes to the
        // local store keeps its layers uncompressed (valid OCI, and nothing to wait for); archives
        // get gzip unless an output says otherwise.
        let archives = outputs.contains { $0.kind == .oci || $0.kind == .docker || $0.push }
        let explicit = outputs.compactMap(\.compression).first
        let compression = explicit ?? (archives ? (LayerCompression(rawValue: request.compression) ?? .gzip) : .none)
        let layers = snapshot.layers.map { LayerID($0) }
        let needsImage = outputs.contains { $0.kind != .local && $0.kind != .tar }
        var image: ExportedImage?
        if needsImage {
            // Compressing a large layer takes a while: its bytes show as they go.
            var total: Int64 = 0
            if compression != .none { for layer in layers { total += (try? layerStore.metadata(layer).size) ?? 0 } }
            let compressing = ByteProgress(digest: exportVertex, id: "compressing layers", total: total, events: events)
            let report: (@Sendable (Int64) -> Void)? = compression == .none ? nil : { @Sendable bytes in compressing.add(bytes) }
            image = try ImageExporter(layerStore: layerStore).export(layers: layers, config: config, compression: compression,
                                                                  sourceDateEpoch: request.sourceDateEpoch, progress: report)
            compressing.complete()
            // Bytes, as BuildKit counts them: the compressed layer blobs of the image.
            let bytes = image?.layers.reduce(Int64(0)) { $0 + $1.blob.size } ?? 0
            events.yield(BuildEvent(.progress(ProgressUpdate(digest: exportVertex, id: "exporting layers", current: bytes,
                                                             total: bytes, completed: true))))
        }
        var written: [String] = []
        for output in outputs {
            try Task.checkCancellation()
            switch output.kind {
            case .image:
                guard let image else { continue }
                let names = request.tags + output.names
                if output.push && names.isEmpty {
                    throw SolveError(message: "push needs an image name: -t NAME or -o type=image,name=NAME,push=true")
                }
                for name in names {
                    try prepared.images.store.tag(name, manifest: image.manifest)
                    written.append("image \(name)")
                }
                if output.push {
                    for name in names {
                        let digest = try await push(image.manifest, as: name, vertex: exportVertex, events: events)
                        written.append("pushed \(digest)")
                    }
                }
            case .oci:
                guard let image, let dest = output.destination else { continue }
                try OCIArchiveWriter(content: layerStore.content).write(manifest: image.manifest, name: request.tags.first ?? output.name,
                                                                        to: dest, sourceDateEpoch: request.sourceDateEpoch)
                written.append("oci archive \(dest)")
            case .docker:
                guard let image, let dest = output.destination else { continue }
                let names = request.tags + (output.name.map { [$0] } ?? [])
                try DockerArchiveWriter(content: layerStore.content).write(manifest: image.manifest, names: names, to: dest,
                                                                           sourceDateEpoch: request.sourceDateEpoch)
                written.append("docker archive \(dest)")
            case .local:
                guard let dest = output.destination else { continue }
                try RootfsWriter(layerStore: layerStore).write(layers: layers, to: dest)
                written.append("directory \(dest)")
            case .tar:
                guard let dest = output.destination else { continue }
                try RootfsWriter(layerStore: layerStore).writeTar(layers: layers, to: dest, sourceDateEpoch: request.sourceDateEpoch)
                written.append("tar \(dest)")
            }
        }
        events.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: exportVertex, status: .done,
                                                                  duration: Date().timeIntervalSince(started)))))
        written += try await exportCache(final: snapshot.layers, events: events)
        return Exported(imageDigest: image?.manifest.digest.value, outputs: written)
    }

    /// `--cache-to`: the build's step records (every step with `mode=max`, the final image's
    /// chain otherwise) and their layers, as one cache artifact per destination.
    private func exportCache(final: [String], events: AsyncStream<BuildEvent>.Continuation) async throws -> [String] {
        guard !build.request.cacheTo.isEmpty else { return [] }
        var records: [CacheRecord] = []
        for v in prepared.graph.vertices {
            guard let result = results[v.digest], !result.snapshot.layers.isEmpty else { continue }
            switch v.op {
            case .exec, .file: records.append(CacheRecord(key: result.cacheKey, layers: result.snapshot.layers, duration: 0, name: v.name))
            default: continue
            }
        }
        var written: [String] = []
        for spec in build.request.cacheTo {
            let vertex = Digest.sha256("export cache:" + build.buildID + "\(spec.location)")
            events.yield(BuildEvent(.plan([PlannedVertex(digest: vertex, name: "exporting cache to \(spec.location.description)",
                                                         inputs: [], stage: nil, startLine: nil, endLine: nil)])))
            events.yield(BuildEvent(.vertexStarted(vertex)))
            let started = Date()
            do {
                written.append(try await CacheExporter(images: prepared.images).export(spec, records: records, final: final))
            } catch {
                events.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: vertex, status: .failed,
                                                                          duration: Date().timeIntervalSince(started), error: "\(error)"))))
                throw SolveError(message: "cannot export the cache to \(spec.location.description): \(error)")
            }
            events.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: vertex, status: .done,
                                                                      duration: Date().timeIntervalSince(started)))))
        }
        return written
    }

    /// Pushes the exported image under `name`, with BuildKit's rows on the export step
    /// (`pushing layers`, one per blob, `pushing manifest for NAME@DIGEST`); returns
    /// `registry/repository@digest`.
    private func push(_ manifest: Descriptor, as name: String, vertex: Digest,
                      events: AsyncStream<BuildEvent>.Continuation) async throws -> String {
        let reference: RegistryReference
        do {
            reference = try RegistryReference(parsing: name)
        } catch {
            throw SolveError(message: "\(error)")
        }
        let started = Date()
        events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: "pushing layers", current: 0, total: nil,
                                                         completed: false))))
        let pusher = ImagePusher(client: prepared.images.puller.client, content: prepared.images.store.content,
                                 records: prepared.images.records)
        let throttle = ProgressThrottle()
        do {
            let digest = try await pusher.push(manifest, to: reference) { update in
                guard update.outcome != nil || throttle.due(update.digest) else { return }
                events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: update.digest.value, current: update.current,
                                                                 total: update.total, completed: update.outcome != nil,
                                                                 name: update.outcome?.rawValue, started: throttle.start(update.digest)))))
            }
            events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: "pushing layers", current: 0, total: nil,
                                                             completed: true, started: started))))
            let pinned = "\(reference.registry)/\(reference.repository)@\(digest.value)"
            events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: "pushing manifest for \(pinned)", current: 0,
                                                             total: nil, completed: true))))
            return pinned
        } catch let error as RegistryError {
            throw SolveError(message: "\(error)")
        }
    }
}

/// Byte progress of one item, added to from several threads, sent at most every 100 ms.
final class ByteProgress: @unchecked Sendable {
    private let digest: Digest
    private let id: String
    private let total: Int64
    private let events: AsyncStream<BuildEvent>.Continuation
    private let lock = NSLock()
    private var current: Int64 = 0
    private var lastSent = Date.distantPast
    private var sentAny = false

    init(digest: Digest, id: String, total: Int64, events: AsyncStream<BuildEvent>.Continuation) {
        self.digest = digest
        self.id = id
        self.total = total
        self.events = events
    }

    func add(_ bytes: Int64) {
        lock.lock()
        current += bytes
        let now = Date()
        let send = now.timeIntervalSince(lastSent) >= 0.1
        if send { lastSent = now; sentAny = true }
        let snapshot = current
        lock.unlock()
        if send { events.yield(BuildEvent(.progress(ProgressUpdate(digest: digest, id: id, current: snapshot, total: max(total, snapshot), completed: false)))) }
    }

    /// The closing update; nothing when no bytes were compressed (every blob was cached).
    func complete() {
        lock.lock()
        let snapshot = current, any = sentAny || current > 0
        lock.unlock()
        guard any else { return }
        events.yield(BuildEvent(.progress(ProgressUpdate(digest: digest, id: id, current: snapshot, total: snapshot, completed: true))))
    }
}
