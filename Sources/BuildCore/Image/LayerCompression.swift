import Foundation

/// How a tar stream is compressed: a layer blob, an archive to load or import, an archive ADD
/// unpacks. gzip is the default everything reads; zstd is smaller and faster but needs a recent
/// runtime to pull; none is what docker archives carry. bzip2 and xz are only ever read (ADD,
/// `image import`): no image media type names them, so no layer is written with them.
public enum LayerCompression: String, Sendable, Codable, CaseIterable {
    case none, gzip, bzip2, xz, zstd

    /// The OCI media type of a layer blob with this compression; nil for bzip2 and xz.
    public var mediaType: String? {
        switch self {
        case .none: MediaType.layer
        case .gzip: MediaType.layerGzip
        case .zstd: MediaType.layerZstd
        case .bzip2, .xz: nil
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

    /// How many leading bytes `detect` needs to tell every compression apart.
    static let magicLength = 6

    /// Sniffs the magic number, as docker does: gzip `1f 8b`, bzip2 `BZh` and a block-size digit,
    /// xz `fd 37 7a 58 5a 00`, zstd `28 b5 2f fd`; anything else is taken as tar.
    public static func detect(_ prefix: [UInt8]) -> LayerCompression {
        if prefix.starts(with: [0x1f, 0x8b]) { return .gzip }
        if prefix.count >= 4 && prefix.starts(with: [0x42, 0x5a, 0x68]) && (0x31...0x39).contains(prefix[3]) { return .bzip2 }
        if prefix.starts(with: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if prefix.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        return .none
    }

    /// Sniffs the first bytes of a file.
    public static func detect(fileAt path: String) throws -> LayerCompression {
        var prefix = [UInt8](repeating: 0, count: magicLength)
        let source = try FileSource(path: path)
        let n = try prefix.withUnsafeMutableBytes { try source.readFully(into: $0) }
        return detect(Array(prefix[0..<n]))
    }

    /// A source yielding the uncompressed bytes of the file at `path`. gzip and zstd go through
    /// their libraries; bzip2 and xz (only ever imported) through their command-line tools.
    func decompressing(fileAt path: String) throws -> ByteSource {
        switch self {
        case .none: return try FileSource(path: path)
        case .gzip: return try Gzip.Decompressor(try FileSource(path: path))
        case .zstd: return try Zstd.decompressor(fileAt: path)
        case .bzip2, .xz:
            guard let tool = CommandSource.locate(rawValue) else { throw ImageError.toolMissing(rawValue) }
            return try CommandSource(tool: tool, name: rawValue, arguments: ["-q", "-d", "-c", path])
        }
    }
}
