import CZstd
import Foundation

/// zstd through libzstd, streaming in both directions.
///
/// Compression always runs in the library's multi-threaded mode (at least one worker, one per
/// core): its output depends only on the input and the level, not on the number of workers, so a
/// layer blob has the same digest on any machine, which reproducible images rely on.
/// Decompression accepts concatenated frames and rejects a stream that ends inside a frame.
public enum Zstd {
    /// zstd's default level, the one BuildKit uses for `compression=zstd`.
    public static let defaultLevel: Int32 = 3

    public static func compress(fileAt source: String, to destination: String, level: Int32 = defaultLevel) throws {
        try StreamCodec.compress(fileAt: source, to: destination) { try Compressor(forwardingTo: $0, level: level) }
    }

    public static func decompress(fileAt source: String, to destination: String) throws {
        try StreamCodec.decompress(fileAt: source, to: destination) { try Decompressor($0) }
    }

    public static func compress(_ data: Data, level: Int32 = defaultLevel) throws -> Data {
        try StreamCodec.compress(data) { try Compressor(forwardingTo: $0, level: level) }
    }

    public static func decompress(_ data: Data, limit: Int = 1 << 30) throws -> Data {
        try Decompressor(DataSource(data)).readAll(limit: limit)
    }

    /// Decompresses a file as a stream.
    public static func decompressor(fileAt path: String) throws -> ByteSource {
        try Decompressor(try FileSource(path: path))
    }

    static func check(_ code: Int, _ what: String) throws {
        if ZSTD_isError(code) != 0 {
            throw ImageError.compression("zstd \(what): \(String(cString: ZSTD_getErrorName(code)))")
        }
    }

    /// Worker threads for one stream: one per core.
    static var workers: Int32 { Int32(max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    /// A sink that zstd-compresses what it is given into `next`; `finish()` ends the frame and
    /// finishes `next`.
    public final class Compressor: ByteSink {
        private let context: OpaquePointer
        private let next: ByteSink
        private let output: UnsafeMutableRawPointer
        private let outputSize = ZSTD_CStreamOutSize()
        private var finished = false

        public init(forwardingTo next: ByteSink, level: Int32 = Zstd.defaultLevel) throws {
            guard (1...19).contains(level) else { throw ImageError.compression("zstd level \(level) is not in 1...19") }
            guard let context = ZSTD_createCCtx() else { throw ImageError.compression("zstd: out of memory") }
            self.context = context
            self.next = next
            output = .allocate(byteCount: outputSize, alignment: 16)
            do {
                try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level), "level")
                try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1), "checksum")
                try Zstd.check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Zstd.workers), "workers")
            } catch {
                ZSTD_freeCCtx(context)
                output.deallocate()
                throw error
            }
        }

        deinit {
            ZSTD_freeCCtx(context)
            output.deallocate()
        }

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard !bytes.isEmpty, let base = bytes.baseAddress else { return }
            var input = ZSTD_inBuffer(src: base, size: bytes.count, pos: 0)
            while input.pos < input.size {
                _ = try run(&input, ZSTD_e_continue)
            }
        }

        public func finish() throws {
            guard !finished else { return }
            finished = true
            var input = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
            while try run(&input, ZSTD_e_end) != 0 {}
            try next.finish()
        }

        /// One call into the library; returns what it says is left to flush.
        private func run(_ input: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective) throws -> Int {
            var out = ZSTD_outBuffer(dst: output, size: outputSize, pos: 0)
            let remaining = ZSTD_compressStream2(context, &out, &input, directive)
            try Zstd.check(remaining, "compression")
            if out.pos > 0 { try next.write(UnsafeRawBufferPointer(start: output, count: out.pos)) }
            return remaining
        }
    }

    /// A source that decompresses `upstream`: every frame in it, checked against its checksum
    /// when the frame has one.
    public final class Decompressor: ByteSource {
        private let upstream: ByteSource
        private let context: OpaquePointer
        private let input: UnsafeMutableRawPointer
        private let inputSize = ZSTD_DStreamInSize()
        private var inBuffer: ZSTD_inBuffer
        private var upstreamEnded = false
        /// What the last call said: 0 when a frame just ended.
        private var frameOpen = false
        private var sawFrame = false

        public init(_ upstream: ByteSource) throws {
            guard let context = ZSTD_createDCtx() else { throw ImageError.compression("zstd: out of memory") }
            self.upstream = upstream
            self.context = context
            input = .allocate(byteCount: inputSize, alignment: 16)
            inBuffer = ZSTD_inBuffer(src: input, size: 0, pos: 0)
        }

        deinit {
            ZSTD_freeDCtx(context)
            input.deallocate()
        }

        public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            guard !buffer.isEmpty, let base = buffer.baseAddress else { return 0 }
            while true {
                if inBuffer.pos == inBuffer.size && !upstreamEnded {
                    let n = try upstream.read(into: UnsafeMutableRawBufferPointer(start: input, count: inputSize))
                    if n == 0 { upstreamEnded = true } else { inBuffer = ZSTD_inBuffer(src: input, size: n, pos: 0) }
                }
                var out = ZSTD_outBuffer(dst: base, size: buffer.count, pos: 0)
                let hadInput = inBuffer.pos < inBuffer.size
                if hadInput || frameOpen {
                    let hint = ZSTD_decompressStream(context, &out, &inBuffer)
                    if ZSTD_isError(hint) != 0 {
                        let reason = String(cString: ZSTD_getErrorName(hint))
                        throw ImageError.compression(sawFrame || frameOpen ? "zstd: \(reason)" : "not zstd data (\(reason))")
                    }
                    frameOpen = hint != 0
                    if frameOpen || out.pos > 0 { sawFrame = true }
                    if out.pos > 0 { return out.pos }
                }
                if inBuffer.pos == inBuffer.size && upstreamEnded {
                    if frameOpen { throw ImageError.compression("zstd stream is truncated") }
                    if !sawFrame { throw ImageError.compression("empty zstd stream") }
                    return 0
                }
            }
        }
    }
}
