import Foundation

/// `login`: a credential is stored only after the registry accepted it (`GET /v2/` answered
/// 200 with it, through the token server when the registry uses one).
public struct RegistryLogin: Sendable {
    public let client: RegistryClient

    public init(client: RegistryClient) { self.client = client }

    /// `https://index.docker.io/v1/`, `index.docker.io` and `docker.io` are Docker Hub; other
    /// names lose a scheme and a trailing slash.
    public static func registryName(_ server: String) -> String {
        var name = server
        for prefix in ["https://", "http://"] where name.hasPrefix(prefix) { name = String(name.dropFirst(prefix.count)) }
        if let slash = name.firstIndex(of: "/") { name = String(name[..<slash]) }
        if name == "index.docker.io" || name == "registry-1.docker.io" { return "docker.io" }
        return name
    }

    public func check(registry: String, credential: RegistryCredential) async throws {
        await client.auth.seedLogin(credential, for: registry)
        let host = registry == "docker.io" ? "registry-1.docker.io" : registry
        let response = try await client.send(.GET, host: host, registry: registry, path: "/v2/", scopes: [], what: registry)
        try await client.expect(response, [200], what: "\(registry): login")
        _ = try? await response.body.collect(upTo: 1 << 20)
        // A registry without auth accepts anything; a login there is stored but means nothing.
        if await client.auth.challenge(for: host) == nil {
            FileHandle.standardError.write(Data("WARNING! \(registry) asks for no authentication.\n".utf8))
        }
    }
}

extension RegistryAuthState {
    func seedLogin(_ credential: RegistryCredential, for registry: String) {
        seed(credential, registry)
    }
}

extension ImageStore {
    /// What `image push` sends for a name: an index as it is; a manifest whose layers are all
    /// compressed as it is; otherwise (layers kept uncompressed in the store) the same image with
    /// its layers gzip-compressed — once: the compressed blobs are remembered per layer.
    public func pushableDescriptor(_ name: String) throws -> Descriptor {
        let full = try Self.normalize(name)
        guard let record = try list().first(where: { $0.name == full }) else { throw ImageError.imageNotFound(name) }
        if MediaType.isIndex(record.manifest.mediaType) { return record.manifest }
        let image = try resolve(full)
        let uncompressed = image.manifest.layers.contains { LayerCompression(mediaType: $0.mediaType) == LayerCompression.none }
        guard uncompressed else { return record.manifest }
        let layers = try layerIDs(of: image)
        let exported = try ImageExporter(layerStore: layerStore).export(layers: layers, config: image.config, compression: .gzip,
                                                                        annotations: image.manifest.annotations)
        return exported.manifest
    }
}
