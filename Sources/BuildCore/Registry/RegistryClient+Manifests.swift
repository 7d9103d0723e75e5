import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A manifest or index as a registry served it: its exact bytes, digest and media type.
public struct FetchedManifest: Sendable {
    public var data: Data
    public var descriptor: Descriptor
}

extension RegistryClient {
    /// Every manifest kind in use, so that a registry never rewrites a schema2 manifest to schema1
    /// and serves OCI manifests at all (distribution answers 404 to an OCI manifest not asked for).
    static let manifestAccept = [MediaType.imageIndex, MediaType.dockerManifestList, MediaType.imageManifest,
                                 MediaType.dockerManifest].joined(separator: ", ")
    /// containerd's limit: a manifest is metadata, never this large.
    static let manifestLimit = 4 << 20

    static func pullScope(_ repository: String) -> String { "repository:\(repository):pull" }
    static func pushScope(_ repository: String) -> String { "repository:\(repository):pull,push" }

    /// `GET /v2/NAME/manifests/REF` from `host` (a mirror or the registry itself), checked against
    /// the digest when the reference pins one.
    public func fetchManifest(_ reference: RegistryReference, digest: Digest? = nil, host: String? = nil) async throws -> FetchedManifest {
        let target = digest.map { reference.pinned($0) } ?? reference
        let what = target.description
        let host = host ?? reference.apiHost
        let response = try await send(.GET, host: host, registry: reference.registry,
                                      path: "/v2/\(reference.repository)/manifests/\(target.manifestReference)",
                                      headers: [("Accept", Self.manifestAccept)], scopes: [Self.pullScope(reference.repository)],
                                      what: what)
        try await expect(response, [200], what: what)
        let data = try await collect(response, limit: Self.manifestLimit, what: what)
        let computed = Digest.sha256(data)
        if let pinned = target.digest, pinned != computed {
            throw RegistryError("\(what): the manifest's bytes hash to \(computed.value), not to the digest asked for")
        }
        let headerType = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map {
            String($0).trimmingCharacters(in: .whitespaces) }
        let mediaType = try Self.manifestMediaType(data: data, header: headerType, what: what)
        return FetchedManifest(data: data, descriptor: Descriptor(mediaType: mediaType, digest: computed, size: Int64(data.count)))
    }

    /// `HEAD /v2/NAME/manifests/TAG`: the digest a tag points to now, without its body.
    public func headManifest(_ reference: RegistryReference, host: String? = nil) async throws -> Digest? {
        let what = reference.description
        let response = try await send(.HEAD, host: host ?? reference.apiHost, registry: reference.registry,
                                      path: "/v2/\(reference.repository)/manifests/\(reference.manifestReference)",
                                      headers: [("Accept", Self.manifestAccept)], scopes: [Self.pullScope(reference.repository)],
                                      what: what, timeout: .seconds(30))
        try await expect(response, [200], what: what)
        return response.headers.first(name: "Docker-Content-Digest").flatMap(Digest.init(parsing:))
    }

    /// `PUT /v2/NAME/manifests/REF` with its media type; returns the digest the registry reports.
    public func putManifest(_ data: Data, mediaType: String, to reference: RegistryReference, tag: String? = nil) async throws -> Digest {
        let what = reference.description
        let name = tag ?? reference.tag ?? Digest.sha256(data).value
        let response = try await send(.PUT, host: reference.apiHost, registry: reference.registry,
                                      path: "/v2/\(reference.repository)/manifests/\(name)",
                                      headers: [("Content-Type", mediaType)],
                                      body: { .bytes(ByteBuffer(data: data)) },
                                      scopes: [Self.pushScope(reference.repository)], what: what)
        try await expect(response, [200, 201], what: what)
        return response.headers.first(name: "Docker-Content-Digest").flatMap(Digest.init(parsing:)) ?? Digest.sha256(data)
    }

    /// The kind of a manifest, from its own `mediaType` field, else from the header, else from its
    /// shape; anything but the four manifest kinds is refused by name.
    static func manifestMediaType(data: Data, header: String?, what: String) throws -> String {
        struct Probe: Decodable {
            var mediaType: String?
            var schemaVersion: Int?
            var manifests: [Descriptor]?
            var layers: [Descriptor]?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: data) else {
            throw RegistryError("\(what): the manifest is not valid JSON")
        }
        if probe.schemaVersion == 1 {
            throw RegistryError("\(what): a Docker schema 1 manifest; schema 1 is deprecated and not supported")
        }
        let type = probe.mediaType ?? header ?? (probe.manifests != nil ? MediaType.imageIndex : MediaType.imageManifest)
        guard MediaType.isIndex(type) || MediaType.isManifest(type) else {
            throw RegistryError("\(what): unsupported manifest media type \(type)")
        }
        return type
    }
}
