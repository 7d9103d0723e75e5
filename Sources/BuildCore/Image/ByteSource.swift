import Crypto
import Foundation

/// A pull-style producer of bytes: files, decompressors and in-memory data, chained so a
/// compressed layer is read, decompressed, hashed and untarred in one streaming pass.
/// Single-owner reference types, like `ByteSink`.
public protocol ByteSource: AnyObject {
    /// Fills up to `buffer.count` bytes and returns how many; 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource {
    /// Reads exactly `buffer.count` bytes, or fewer only when the stream ends; returns the count.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var total = 0
        while total < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[total...]))
            if n == 0 { break }
            total += n
        }
        return total
    }

    /// Reads the rest of the stream into memory, refusing more than `limit` bytes.
    public func readAll(limit: Int = 1 << 30) throws -> Data {
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw ImageError.badArchive("stream larger than \(limit) bytes") }
        }
    }

    /// Copies the rest of the stream into `sink` (without finishing it); returns the count.
    @discardableResult
    public func pipe(to sink: ByteSink) throws -> Int64 {
        var chunk = [UInt8](repeating: 0, count: 128 * 1024)
        var total: Int64 = 0
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return total }
            try chunk.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            total += Int64(n)
        }
    }
}

/// Reads a file (or an already open descriptor, which it then owns and closes).
public final class FileSource: ByteSource {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError.posix("open", path) }
        self.fd = fd
        self.path = path
    }

    init(owning fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw ImageError.posix("read", path) }
        }
    }
}

/// Reads from memory.
public final class DataSource: ByteSource {
    private let data: Data
    private var offset = 0

    public init(_ data: Data) {
        self.data = data
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, data.count - offset)
        guard n > 0 else { return 0 }
        data.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Yields `head`, bytes already read from `rest` to look at them, then the rest of `rest`: how a
/// stream is sniffed (is it a tar archive?) without being read, or decompressed, twice.
final class PrefixedSource: ByteSource {
    private let head: [UInt8]
    private var offset = 0
    private let rest: ByteSource

    init(_ head: [UInt8], then rest: ByteSource) {
        self.head = head
        self.rest = rest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset < head.count else { return try rest.read(into: buffer) }
        let n = min(buffer.count, head.count - offset)
        head.withUnsafeBytes { raw in
            buffer.baseAddress!.copyMemory(from: raw.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

/// Hashes (SHA-256) and counts what is read through it. `drainDigest()` reads whatever the
/// consumer left (tar end padding) so the digest covers the whole stream, as a diffID must.
public final class HashingSource: ByteSource {
    private let upstream: ByteSource
    private var hasher = SHA256()
    public private(set) var count: Int64 = 0

    public init(_ upstream: ByteSource) {
        self.upstream = upstream
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try upstream.read(into: buffer)
        if n > 0 {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            count += Int64(n)
        }
        return n
    }

    /// Consumes the rest of the stream and returns the digest of everything read.
    public func drainDigest() throws -> Digest {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while try chunk.withUnsafeMutableBytes({ try read(into: $0) }) > 0 {}
        return Digest.finalize(hasher)
    }
}
