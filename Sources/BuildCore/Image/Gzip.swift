import CZlib
import Foundation

/// gzip (RFC 1952) through the system zlib, streaming in both directions.
///
/// Output is deterministic: zlib writes a header with mtime 0, no file name and no comment,
/// so the same input and level always give the same bytes (and so the same layer blob digest),
/// which reproducible images depend on. Decompression accepts concatenated members, like Go's
/// reader and `gzip -d`, and rejects a stream that ends before its trailer.
public enum Gzip {
    /// zlib's own default (6): the speed/size balance registries and BuildKit use.
    public static let defaultLevel: Int32 = 6

    public static func compress(_ data: Data, level: Int32 = defaultLevel) throws -> Data {
        try StreamCodec.compress(data) { try Compressor(forwardingTo: $0, level: level) }
    }

    public static func decompress(_ data: Data, limit: Int = 1 << 30) throws -> Data {
        try Decompressor(DataSource(data)).readAll(limit: limit)
    }

    /// Compresses a file into another (the destination is created or truncated).
    public static func compress(fileAt source: String, to destination: String, level: Int32 = defaultLevel) throws {
        try StreamCodec.compress(fileAt: source, to: destination) { try Compressor(forwardingTo: $0, level: level) }
    }

    public static func decompress(fileAt source: String, to destination: String) throws {
        try StreamCodec.decompress(fileAt: source, to: destination) { try Decompressor($0) }
    }

    /// A sink that gzips what it is given into `next`; `finish()` writes the trailer and
    /// finishes `next`.
    public final class Compressor: ByteSink {
        private let stream: UnsafeMutablePointer<z_stream>
        private let next: ByteSink
        private let output: UnsafeMutablePointer<UInt8>
        private let outputSize = 128 * 1024
        private var ended = false

        public init(forwardingTo next: ByteSink, level: Int32 = Gzip.defaultLevel) throws {
            guard (-1...9).contains(level) else { throw ImageError.compression("gzip level \(level) is not in 0...9") }
            self.next = next
            // zlib keeps a pointer back to the z_stream, so it must not move: heap-allocate it.
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            output = .allocate(capacity: outputSize)
            let rc = swb_deflate_init_gzip(stream, level)
            guard rc == Z_OK else {
                stream.deallocate()
                output.deallocate()
                throw ImageError.compression("deflateInit failed (\(rc))")
            }
        }

        deinit {
            if !ended { deflateEnd(stream) }
            stream.deallocate()
            output.deallocate()
        }

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard !bytes.isEmpty, let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let chunk = min(bytes.count - offset, 1 << 30)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = UInt32(chunk)
                while stream.pointee.avail_in > 0 {
                    _ = try run(flush: Z_NO_FLUSH)
                }
                offset += chunk
            }
        }

        public func finish() throws {
            guard !ended else { return }
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            while try run(flush: Z_FINISH) != Z_STREAM_END {}
            deflateEnd(stream)
            ended = true
            try next.finish()
        }

        private func run(flush: Int32) throws -> Int32 {
            stream.pointee.next_out = output
            stream.pointee.avail_out = UInt32(outputSize)
            let rc = deflate(stream, flush)
            guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                throw ImageError.compression("deflate failed (\(rc))")
            }
            let produced = outputSize - Int(stream.pointee.avail_out)
            if produced > 0 {
                try next.write(UnsafeRawBufferPointer(start: output, count: produced))
            }
            return rc
        }
    }

    /// A source that gunzips `upstream`. Bytes after the last complete member that do not start
    /// a new gzip member (zero padding some tools append) are ignored.
    public final class Decompressor: ByteSource {
        private let upstream: ByteSource
        private let stream: UnsafeMutablePointer<z_stream>
        private let input: UnsafeMutablePointer<UInt8>
        private let inputSize = 128 * 1024
        private var upstreamEnded = false
        private var finished = false
        /// True between members: the previous one ended and no byte of a new one was accepted.
        private var betweenMembers = false
        private var sawMember = false

        public init(_ upstream: ByteSource) throws {
            self.upstream = upstream
            stream = .allocate(capacity: 1)
            stream.initialize(to: z_stream())
            input = .allocate(capacity: inputSize)
            let rc = swb_inflate_init_gzip(stream)
            guard rc == Z_OK else {
                stream.deallocate()
                input.deallocate()
                throw ImageError.compression("inflateInit failed (\(rc))")
            }
        }

        deinit {
            inflateEnd(stream)
            stream.deallocate()
            input.deallocate()
        }

        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard !finished, !buffer.isEmpty, let base = buffer.baseAddress else { return 0 }
            while true {
                if stream.pointee.avail_in == 0 && !upstreamEnded {
                    let n = try upstream.read(into: UnsafeMutableRawBufferPointer(start: input, count: inputSize))
                    if n == 0 {
                        upstreamEnded = true
                    } else {
                        stream.pointee.next_in = input
                        stream.pointee.avail_in = UInt32(n)
                    }
                }
                if stream.pointee.avail_in == 0 && upstreamEnded {
                    if betweenMembers { finished = true; return 0 }
                    throw ImageError.compression(sawMember ? "gzip stream is truncated" : "empty gzip stream")
                }
                let availBefore = stream.pointee.avail_in
                stream.pointee.next_out = base.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = UInt32(buffer.count)
                let rc = inflate(stream, Z_NO_FLUSH)
                let produced = buffer.count - Int(stream.pointee.avail_out)
                if stream.pointee.avail_in != availBefore || produced > 0 {
                    if !betweenMembers || rc != Z_DATA_ERROR { sawMember = true }
                }
                switch rc {
                case Z_STREAM_END:
                    betweenMembers = true
                    inflateReset(stream)
                case Z_OK, Z_BUF_ERROR:
                    if produced > 0 || stream.pointee.avail_in != availBefore { betweenMembers = false }
                case Z_DATA_ERROR where betweenMembers && produced == 0:
                    // Not a gzip header after a complete member: trailing padding, stop here.
                    finished = true
                    return 0
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                    throw ImageError.compression(sawMember ? message : "not gzip data (\(message))")
                }
                if produced > 0 { return produced }
            }
        }
    }
}
