import Foundation

/// One blob's progress through a push.
public struct BlobPushProgress: Sendable {
    public var digest: Digest
    public var current: Int64
    public var total: Int64
    /// nil while uploading; how it ended once it did.
    public var outcome: RegistryClient.BlobPush?
}

/// Pushes an image from the content store: every blob first (a `HEAD` skips those the
/// repository has, a cross-repository mount serves those pulled from another repository of the
/// same registry, the rest are uploaded, a few at a time), then the manifests, an index last.
public struct ImagePusher: Sendable {
    public let client: RegistryClient
    public let content: ContentStore
    /// Blob digest → `registry/repository` it was pulled from.
    public let sources: [String: String]
    /// Where the pushed blobs are remembered, so that a later push elsewhere mounts them.
    public let records: PullRecords?
    public static let parallelBlobs = 4

    public init(client: RegistryClient, content: ContentStore, records: PullRecords?) {
        self.client = client
        self.content = content
        self.records = records
        sources = records?.sources() ?? [:]
    }

    /// Pushes `top` (a manifest or an index) to `reference` and returns the digest the registry
    /// reports for it.
    public func push(_ top: Descriptor, to reference: RegistryReference,
                     progress: @escaping @Sendable (BlobPushProgress) -> Void = { _ in }) async throws -> Digest {
        let data = try content.data(for: top.digest)
        if MediaType.isIndex(top.mediaType) {
            let index = try JSONDecoder().decode(ImageIndex.self, from: data)
            for child in index.manifests where content.contains(child.digest) {
                try await pushManifestTree(child, to: reference, progress: progress)
                _ = try await client.putManifest(try content.data(for: child.digest), mediaType: child.mediaType, to: reference,
                                                 tag: child.digest.value)
            }
        } else {
            try await pushManifestTree(top, to: reference, progress: progress)
        }
        let tag = reference.tag ?? top.digest.value
        let pushed = try await client.putManifest(data, mediaType: top.mediaType, to: reference, tag: tag)
        guard pushed == top.digest else {
            throw RegistryError("\(reference): the registry stored the manifest as \(pushed.value), not \(top.digest.value)")
        }
        return pushed
    }

    private func pushManifestTree(_ descriptor: Descriptor, to reference: RegistryReference,
                                  progress: @escaping @Sendable (BlobPushProgress) -> Void) async throws {
        let manifest = try JSONDecoder().decode(ImageManifest.self, from: try content.data(for: descriptor.digest))
        let blobs = [manifest.config] + manifest.layers
        for blob in blobs where !content.contains(blob.digest) {
            throw RegistryError("\(reference): blob \(blob.digest.value) of the image is not in the local store")
        }
        defer { records?.recordSources(blobs.map(\.digest), repository: reference.registry + "/" + reference.repository) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            func add() {
                guard next < blobs.count else { return }
                let blob = blobs[next]
                next += 1
                group.addTask { try await pushBlob(blob, to: reference, progress: progress) }
            }
            for _ in 0..<Self.parallelBlobs { add() }
            while try await group.next() != nil { add() }
        }
    }

    private func pushBlob(_ blob: Descriptor, to reference: RegistryReference,
                          progress: @escaping @Sendable (BlobPushProgress) -> Void) async throws {
        var mountFrom: String?
        if let source = sources[blob.digest.value], source.hasPrefix(reference.registry + "/") {
            mountFrom = String(source.dropFirst(reference.registry.count + 1))
        }
        let outcome = try await client.pushBlob(reference, blob, file: content.path(for: blob.digest), mountFrom: mountFrom) { sent in
            progress(BlobPushProgress(digest: blob.digest, current: sent, total: blob.size, outcome: nil))
        }
        progress(BlobPushProgress(digest: blob.digest, current: blob.size, total: blob.size, outcome: outcome))
    }
}
