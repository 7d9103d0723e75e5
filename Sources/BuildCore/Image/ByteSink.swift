import Crypto
import Foundation

/// A push-style consumer of bytes. Tar writers, compressors, hashers and files chain as sinks,
/// so a layer goes from directory to compressed, hashed blob in one pass without holding it in
/// memory. Sinks are single-owner reference types: one task drives a chain from start to
/// `finish()`, so they are deliberately not `Sendable`.
public protocol ByteSink: AnyObject {
    /// Consumes all of `bytes` or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes what is buffered and ends the stream; called exactly once, after the last write.
    func finish() throws
}

extension ByteSink {
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// Writes to a file descriptor through a 256 KiB buffer. `finish()` flushes and, when asked,
/// fsyncs, which is what makes a later `rename` publish complete content (crash safety).
public final class FileSink: ByteSink {
    public let path: String
    private let fd: Int32
    private let sync: Bool
    private var buffer: [UInt8] = []
    private var closed = false
    private static let capacity = 256 * 1024

    /// Creates (or truncates) `path` with `mode`.
    public init(path: String, mode: mode_t = 0o644, sync: Bool = false) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ImageError.posix("create", path) }
        self.fd = fd
        self.path = path
        self.sync = sync
        buffer.reserveCapacity(Self.capacity)
    }

    deinit {
        if !closed { close(fd) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try FileSink.writeAll(fd: fd, bytes, path: path)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func finish() throws {
        guard !closed else { return }
        try flush()
        if sync && fsync(fd) != 0 { throw ImageError.posix("fsync", path) }
        closed = true
        if close(fd) != 0 { throw ImageError.posix("close", path) }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try FileSink.writeAll(fd: fd, $0, path: path) }
        buffer.removeAll(keepingCapacity: true)
    }

    static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImageError.posix("write", path)
            }
            offset += n
        }
    }
}

/// Collects everything written into memory (small archives, tests, JSON).
public final class DataSink: ByteSink {
    public private(set) var data = Data()

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        data.append(contentsOf: bytes)
    }

    public func finish() throws {}
}

/// Hashes (SHA-256) and counts the bytes passing through, then forwards them to `next` if any.
/// This is how a layer's diffID (uncompressed) and blob digest (compressed) come out of one pass.
public final class HashingSink: ByteSink {
    private var hasher = SHA256()
    private let next: ByteSink?
    public private(set) var count: Int64 = 0
    public private(set) var digest: Digest?

    public init(forwardingTo next: ByteSink? = nil) {
        self.next = next
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        count += Int64(bytes.count)
        try next?.write(bytes)
    }

    public func finish() throws {
        digest = Digest.finalize(hasher)
        try next?.finish()
    }
}

/// Forwards bytes to `next` and reports how many went through, in steps of at least `every`
/// bytes (and the rest at the end): progress for long streams without a call per write.
public final class ProgressSink: ByteSink {
    private let next: ByteSink
    private let report: @Sendable (Int64) -> Void
    private let every: Int64
    private var unreported: Int64 = 0

    public init(forwardingTo next: ByteSink, every: Int64 = 1 << 20, report: @escaping @Sendable (Int64) -> Void) {
        self.next = next
        self.every = every
        self.report = report
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try next.write(bytes)
        unreported += Int64(bytes.count)
        if unreported >= every {
            report(unreported)
            unreported = 0
        }
    }

    public func finish() throws {
        try next.finish()
        if unreported > 0 { report(unreported) }
        unreported = 0
    }
}

/// The whole-buffer and file-to-file forms every codec (gzip, parallel gzip, zstd) offers, over
/// its streaming compressor or decompressor.
enum StreamCodec {
    static func compress(_ data: Data, _ make: (ByteSink) throws -> ByteSink) throws -> Data {
        let sink = DataSink()
        let compressor = try make(sink)
        try compressor.write(data)
        try compressor.finish()
        return sink.data
    }

    static func compress(fileAt source: String, to destination: String, _ make: (ByteSink) throws -> ByteSink) throws {
        let compressor = try make(try FileSink(path: destination))
        try FileSource(path: source).pipe(to: compressor)
        try compressor.finish()
    }

    static func decompress(fileAt source: String, to destination: String, _ make: (ByteSource) throws -> ByteSource) throws {
        let sink = try FileSink(path: destination)
        try make(try FileSource(path: source)).pipe(to: sink)
        try sink.finish()
    }
}
