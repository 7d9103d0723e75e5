import Foundation

/// How a layer blob is compressed. gzip is the default everything reads; zstd is smaller and
/// faster but needs a recent runtime to pull; none is what docker archives carry.
public enum LayerCompression: String, Sendable, Codable, CaseIterable {
    case none, gzip, zstd

    /// The OCI media type of a layer blob with this compression.
    public var mediaType: String {
        switch self {
        case .none: MediaType.layer
        case .gzip: MediaType.layerGzip
        case .zstd: MediaType.layerZstd
        }
    }

    /// The compression a layer media type names (OCI and Docker), nil for non-layer types.
    public init?(mediaType: String) {
        switch mediaType {
        case MediaType.layer, MediaType.dockerLayer, "application/vnd.oci.image.layer.nondistributable.v1.tar":
            self = .none
        case MediaType.layerGzip, MediaType.dockerLayerGzip, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip":
            self = .gzip
        case MediaType.layerZstd, "application/vnd.docker.image.rootfs.diff.tar.zstd":
            self = .zstd
        default:
            return nil
        }
    }

    /// Sniffs the magic number: gzip `1f 8b`, zstd `28 b5 2f fd`, anything else is taken as tar.
    public static func detect(_ prefix: [UInt8]) -> LayerCompression {
        if prefix.count >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b { return .gzip }
        if prefix.count >= 4 && prefix[0..<4].elementsEqual([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        return .none
    }

    /// Sniffs the first bytes of a file.
    public static func detect(fileAt path: String) throws -> LayerCompression {
        var prefix = [UInt8](repeating: 0, count: 4)
        let source = try FileSource(path: path)
        let n = try prefix.withUnsafeMutableBytes { try source.readFully(into: $0) }
        return detect(Array(prefix[0..<n]))
    }

    /// A source yielding the uncompressed bytes of the file at `path`.
    func decompressing(fileAt path: String) throws -> ByteSource {
        switch self {
        case .none: return try FileSource(path: path)
        case .gzip: return try Gzip.Decompressor(try FileSource(path: path))
        case .zstd: return try Zstd.decompressor(fileAt: path)
        }
    }
}
