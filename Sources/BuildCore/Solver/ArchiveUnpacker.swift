import Foundation

/// ADD's unpacking of a local tar archive (plain, gzip, bzip2, xz or zstd, told by content)
/// into a directory of an image's root file system, as BuildKit does it: the archive's files,
/// owners, modes, times and extended attributes, merged over what is there (an entry replaces
/// an existing file; a directory entry keeps an existing directory).
///
/// The entries go through the extractor image layers use, in its ADD mode
/// (`TarExtractor.Mode.add`): each entry's parent is resolved inside the rootfs the way the
/// container sees it, so an archive (or the image's own symlinks) can never write outside the
/// image; `..` or absolute names are refused with a clear error. Device nodes are created, as
/// BuildKit does.
struct ArchiveUnpacker {
    /// The rootfs being written.
    let rootfs: String
    /// The directory to unpack into, as a path inside the rootfs.
    let destination: String
    /// `ADD --chown`: the owner of every entry; nil keeps the archive's.
    var owner: (uid: UInt32, gid: UInt32)?

    /// The file at `path` as a tar stream, or nil when it is not a tar archive, plain or
    /// compressed (ADD then copies it as it is). The first block of the decompressed stream
    /// tells, and is handed back to the reader, so an archive is decompressed once.
    static func archive(at path: String) -> TarReader? {
        guard let compression = try? LayerCompression.detect(fileAt: path),
              let source = try? compression.decompressing(fileAt: path) else { return nil }
        var block = [UInt8](repeating: 0, count: TarWriter.blockSize)
        guard let n = try? block.withUnsafeMutableBytes({ try source.readFully(into: $0) }), n == block.count,
              block.contains(where: { $0 != 0 }), (try? TarReader.verifyChecksum(block)) != nil else { return nil }
        return TarReader(PrefixedSource(block, then: source))
    }

    /// Unpacks `archive`, read from the file at `path`.
    func unpack(_ archive: TarReader, from path: String) throws {
        let name = (path as NSString).lastPathComponent
        do {
            try TarExtractor(mode: .add(destination: destination), owner: owner).extract(archive, into: rootfs)
        } catch let error as ImageError {
            switch error {
            case .unsafeEntry(let entry, _) where (try? ConfinedDirectory.components(entry)) == nil:
                throw SolveError(message: "cannot unpack \(name): entry \"\(entry)\" points outside the destination")
            default:
                throw SolveError(message: "cannot unpack \(name): \(error)")
            }
        }
    }
}
