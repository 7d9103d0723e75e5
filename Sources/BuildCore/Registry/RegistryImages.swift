import Foundation

/// Where a build's `FROM`, `COPY --from=IMAGE`, `RUN --mount=from=IMAGE` and
/// `--build-context NAME=docker-image://REF` find images: the local store when the image is
/// there and its tag is fresh, a registry otherwise.
///
/// - A name loaded or built here is used as it is (unless `--pull`).
/// - A name pulled less than `PullRecords.ttl` ago is used without a request; older, one `HEAD`
///   says whether the tag moved, and a moved tag is pulled again.
/// - `--pull` always asks the registry.
///
/// Resolution happens in two halves: `locate` (before the plan: the manifest and config, for the
/// base image's ENV and the cache key) and `resolve` (while solving: the layers, with byte
/// progress on the `FROM` step). Both are memoised per reference and platform, so a build asks
/// once whatever the number of stages using an image.
public final class RegistryImages: ImageResolver, Sendable {
    public let store: ImageStore
    let puller: ImagePuller
    let records: PullRecords
    let alwaysPull: Bool
    let events: AsyncStream<BuildEvent>.Continuation?
    private let located = Memo<Located>()
    private let fetched = Memo<BaseImage>()

    enum Located: Sendable {
        case local(ResolvedImage)
        case remote(RemoteImage)

        var config: ImageConfig {
            switch self {
            case .local(let image): image.config
            case .remote(let image): image.config
            }
        }
    }

    public init(root: StateRoot, client: RegistryClient, alwaysPull: Bool = false,
                events: AsyncStream<BuildEvent>.Continuation? = nil) throws {
        store = try ImageStore(root: root.path)
        puller = ImagePuller(client: client, store: store)
        records = PullRecords(root: root)
        self.alwaysPull = alwaysPull
        self.events = events
    }

    public func resolve(_ reference: String, platform: Platform) async throws -> BaseImage {
        try await resolve(reference, platform: platform, vertex: nil)
    }

    public func resolve(_ reference: String, platform: Platform, vertex: Digest?) async throws -> BaseImage {
        try await fetched.value(for: reference + " " + platform.description) {
            let found = try await self.locate(reference, platform: platform)
            let image: ResolvedImage
            switch found {
            case .local(let local):
                image = local
            case .remote(let remote):
                if let vertex { self.announce(remote, on: vertex) }
                try await self.puller.fetchLayers(remote, progress: self.reporter(vertex))
                try self.puller.name(remote, records: self.records)
                image = try self.store.resolve(remote.manifestDescriptor.digest.value, platform: platform)
            }
            let layers = try self.store.layerIDs(of: image).map(\.value)
            return BaseImage(reference: reference, manifestDigest: image.manifestDescriptor.digest.value, layers: layers,
                             config: image.configData)
        }
    }

    /// What a child stage takes from an image's config: its ENV (for expanding `$VAR` in later
    /// instructions, as BuildKit does), WORKDIR, USER and ONBUILD.
    func baseSetup(_ reference: String, platform: Platform) async throws -> (environment: [KeyValuePair], setup: BaseImageSetup) {
        let image = try await locate(reference, platform: platform).config
        let config = image.config
        let environment = (config?.env ?? []).map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return KeyValuePair(key: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
        return (environment, BaseImageSetup(workingDir: config?.workingDir ?? "", user: config?.user ?? "",
                                            onBuild: config?.onBuild ?? [],
                                            platform: Platform(os: image.os, architecture: image.architecture),
                                            shell: config?.shell ?? []))
    }

    func locate(_ reference: String, platform: Platform) async throws -> Located {
        try await located.value(for: reference + " " + platform.description) {
            try await self.locateOnce(reference, platform: platform)
        }
    }

    private func locateOnce(_ reference: String, platform: Platform) async throws -> Located {
        let local = try? store.resolve(reference, platform: platform)
        // A bare digest (an unnamed import) or a name that is no reference: the store or nothing.
        guard Digest(parsing: reference) == nil, let remote = try? RegistryReference(parsing: reference) else {
            if let local { return .local(local) }
            throw SolveError(message: "image \(reference) is not in the local image store")
        }
        let name = remote.description
        // The tag's last resolution, when the local copy came from the registry.
        var pulled: PullRecords.Entry?
        if let local, !alwaysPull {
            if remote.digest != nil { return .local(local) }
            guard let entry = records.entry(name) else { return .local(local) }
            if Date().timeIntervalSince1970 - entry.resolvedAt < PullRecords.ttl { return .local(local) }
            pulled = entry
        }
        let previous = pulled
        do {
            return try await metadataStep(name) {
                // A tag pulled before: one HEAD says whether it moved.
                if let local, let entry = previous {
                    do {
                        if let current = try await self.puller.client.headManifest(remote), current.value == entry.digest {
                            self.records.record(name, digest: current)
                            return .local(local)
                        }
                    } catch {
                        self.warn("cannot check whether \(name) moved, using the local copy: \(error)")
                        return .local(local)
                    }
                }
                return .remote(try await self.puller.resolve(remote, platform: platform))
            }
        } catch let error as RegistryError {
            throw SolveError(message: "\(error)")
        }
    }

    /// BuildKit's `[internal] load metadata for NAME` step, shown while the registry is asked.
    private func metadataStep<T: Sendable>(_ name: String, _ work: @Sendable () async throws -> T) async throws -> T {
        let vertex = Digest.sha256("load metadata:" + name)
        events?.yield(BuildEvent(.plan([PlannedVertex(digest: vertex, name: "[internal] load metadata for \(name)", inputs: [],
                                                      stage: nil, startLine: nil, endLine: nil)])))
        events?.yield(BuildEvent(.vertexStarted(vertex)))
        let started = Date()
        do {
            let value = try await work()
            events?.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: vertex, status: .done,
                                                                       duration: Date().timeIntervalSince(started)))))
            return value
        } catch {
            events?.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: vertex, status: .failed,
                                                                       duration: Date().timeIntervalSince(started),
                                                                       error: "\(error)"))))
            throw error
        }
    }

    private func warn(_ message: String) {
        events?.yield(BuildEvent(.warning(BuildWarning(message: message))))
    }

    /// `resolve docker.io/library/busybox:latest@sha256:…`, as BuildKit's first status row.
    private func announce(_ remote: RemoteImage, on vertex: Digest) {
        let pinned = remote.reference.pinned(remote.top.digest)
        events?.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: "resolve \(pinned)", current: 0, total: nil,
                                                          completed: true))))
    }

    /// Byte progress per layer on the `FROM` step, at most every 100 ms per layer.
    private func reporter(_ vertex: Digest?) -> @Sendable (LayerProgress) -> Void {
        guard let vertex, let events else { return { _ in } }
        let throttle = ProgressThrottle()
        return { update in
            let final = update.phase != .downloading
            guard final || throttle.due(update.digest) else { return }
            let started = throttle.start(update.digest)
            switch update.phase {
            case .downloading, .exists:
                events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: update.digest.value, current: update.current,
                                                                 total: update.total, completed: update.phase == .exists,
                                                                 name: update.phase == .exists ? "already exists" : nil,
                                                                 started: started))))
            case .extracting:
                events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: update.digest.value, current: update.total,
                                                                 total: update.total, completed: true, started: started))))
                events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: "extracting " + update.digest.value,
                                                                 current: 0, total: nil, completed: false))))
            case .done:
                events.yield(BuildEvent(.progress(ProgressUpdate(digest: vertex, id: "extracting " + update.digest.value,
                                                                 current: 0, total: nil, completed: true, name: "done"))))
            }
        }
    }
}

/// Remembers when each layer's progress was last shown.
final class ProgressThrottle: @unchecked Sendable {
    private let lock = NSLock()
    private var last: [Digest: Date] = [:]
    private var first: [Digest: Date] = [:]

    func due(_ digest: Digest) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        if let previous = last[digest], now.timeIntervalSince(previous) < 0.1 { return false }
        last[digest] = now
        return true
    }

    func start(_ digest: Digest) -> Date {
        lock.lock()
        defer { lock.unlock() }
        if let known = first[digest] { return known }
        first[digest] = Date()
        return first[digest]!
    }
}

/// One computation per key, shared by every caller that asks while it runs or after it ended.
actor Memo<Value: Sendable> {
    private var tasks: [String: Task<Value, Error>] = [:]

    func value(for key: String, _ make: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let task = tasks[key] ?? Task { try await make() }
        tasks[key] = task
        // A canceled build cancels its downloads too.
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }
}
