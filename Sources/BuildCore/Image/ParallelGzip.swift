import CZlib
import Foundation

/// gzip on every core, for layer blobs: the input is cut into fixed 128 KiB blocks, each block is
/// deflated on its own (primed with the 32 KiB before it, so the ratio stays zlib's) and ends on a
/// byte boundary, and the blocks are joined under one gzip header and trailer: one valid gzip
/// member, as pigz makes. The bytes depend only on the input and the level, never on the number
/// of cores or the timing, so layer digests stay reproducible.
///
/// A stream shorter than `threshold` is compressed as one plain zlib stream instead — the bytes
/// `Gzip` gives, and swbuild gave before — where splitting would gain nothing.
public enum ParallelGzip {
    public static let blockSize = 128 * 1024
    static let dictionarySize = 32 * 1024
    /// Below this many bytes of input, the stream is compressed by `Gzip` in one piece.
    public static let threshold = 1 << 20

    public static func compress(_ data: Data, level: Int32 = Gzip.defaultLevel) throws -> Data {
        let sink = DataSink()
        let compressor = try Compressor(forwardingTo: sink, level: level)
        try compressor.write(data)
        try compressor.finish()
        return sink.data
    }

    /// A sink that gzips what it is given into `next`; `finish()` writes the trailer and
    /// finishes `next`.
    public final class Compressor: ByteSink {
        private let next: ByteSink
        private let level: Int32
        /// Input not yet compressed: whole blocks waiting for a batch, then the block being filled.
        private var pending: [UInt8] = []
        private var parallel = false
        /// The last 32 KiB of input before `pending`: the dictionary of its first block.
        private var dictionary: [UInt8] = []
        private var crc: UInt = 0
        private var length: UInt64 = 0
        private let batchBlocks: Int
        private var finished = false

        public init(forwardingTo next: ByteSink, level: Int32 = Gzip.defaultLevel) throws {
            guard (0...9).contains(level) else { throw ImageError.compression("gzip level \(level) is not in 0...9") }
            self.next = next
            self.level = level
            batchBlocks = max(8, 4 * ProcessInfo.processInfo.activeProcessorCount)
            pending.reserveCapacity(ParallelGzip.threshold)
        }

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard !bytes.isEmpty else { return }
            pending.append(contentsOf: bytes)
            if !parallel && pending.count >= ParallelGzip.threshold {
                parallel = true
                try next.write(header)
            }
            if parallel && pending.count >= batchBlocks * ParallelGzip.blockSize {
                try compressWholeBlocks()
            }
        }

        public func finish() throws {
            guard !finished else { return }
            finished = true
            guard parallel else {
                // Short: one zlib stream, as `Gzip` writes it.
                let whole = try Gzip.Compressor(forwardingTo: next, level: level)
                try pending.withUnsafeBytes { try whole.write($0) }
                try whole.finish()
                return
            }
            try compressWholeBlocks(includingPartial: true)
            try next.write(try ParallelGzip.deflate(UnsafeRawBufferPointer(start: nil, count: 0), dictionary: nil,
                                                    level: level, final: true))
            var trailer = [UInt8](repeating: 0, count: 8)
            for i in 0..<4 { trailer[i] = UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: crc) >> (8 * i)) }
            for i in 0..<4 { trailer[4 + i] = UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: length) >> (8 * i)) }
            try next.write(trailer)
            try next.finish()
        }

        /// zlib's gzip header: no name, mtime 0, the level's XFL, OS Unix.
        private var header: [UInt8] {
            let xfl: UInt8 = level == 9 ? 2 : (level <= 1 ? 4 : 0)
            return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]
        }

        /// Compresses the whole blocks in `pending` (and the partial last one, at the end)
        /// concurrently and writes them in order.
        private func compressWholeBlocks(includingPartial: Bool = false) throws {
            let size = ParallelGzip.blockSize
            let count = includingPartial ? (pending.count + size - 1) / size : pending.count / size
            guard count > 0 else { return }
            let used = min(pending.count, count * size)
            let level = self.level
            var outputs = [[UInt8]](repeating: [], count: count)
            var crcs = [UInt](repeating: 0, count: count)
            let failure = FailureBox()
            let previous = dictionary
            pending.withUnsafeBytes { input in
                previous.withUnsafeBytes { previousBytes in
                    outputs.withUnsafeMutableBufferPointer { outputSlots in
                        crcs.withUnsafeMutableBufferPointer { crcSlots in
                            // Each iteration reads its own block (and the 32 KiB before it) and
                            // writes only its own slots; the buffers outlive the loop.
                            let shared = Unchecked((input, previousBytes, outputSlots, crcSlots))
                            DispatchQueue.concurrentPerform(iterations: count) { i in
                                let (input, previousBytes, outputSlots, crcSlots) = shared.value
                                let start = i * size
                                let block = UnsafeRawBufferPointer(rebasing: input[start..<min(start + size, used)])
                                let dictionary = i == 0
                                    ? previousBytes
                                    : UnsafeRawBufferPointer(rebasing: input[(start - ParallelGzip.dictionarySize)..<start])
                                crcSlots[i] = block.isEmpty ? 0
                                    : CZlib.crc32(0, block.baseAddress!.assumingMemoryBound(to: Bytef.self), UInt32(block.count))
                                do {
                                    outputSlots[i] = try ParallelGzip.deflate(block, dictionary: dictionary, level: level, final: false)
                                } catch {
                                    failure.set(error)
                                }
                            }
                        }
                    }
                }
            }
            if let error = failure.error { throw error }
            for i in 0..<count {
                try next.write(outputs[i])
                let blockLength = min(size, used - i * size)
                crc = CZlib.crc32_combine(crc, crcs[i], off_t(blockLength))
                length &+= UInt64(blockLength)
            }
            dictionary = Array(pending[max(0, used - ParallelGzip.dictionarySize)..<used])
            pending.removeFirst(used)
        }
    }

    /// One block as raw deflate: primed with `dictionary`, ended by a sync flush (byte-aligned, not
    /// final) or, for the closing block, by the final marker.
    static func deflate(_ block: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer?, level: Int32,
                        final: Bool) throws -> [UInt8] {
        var stream = z_stream()
        guard swb_deflate_init_raw(&stream, level) == Z_OK else { throw ImageError.compression("deflateInit failed") }
        defer { deflateEnd(&stream) }
        if let dictionary, !dictionary.isEmpty, let base = dictionary.baseAddress {
            guard deflateSetDictionary(&stream, base.assumingMemoryBound(to: Bytef.self), UInt32(dictionary.count)) == Z_OK else {
                throw ImageError.compression("deflateSetDictionary failed")
            }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(block.count))) + 64)
        let produced: Int = try output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: block.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = UInt32(block.count)
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = UInt32(out.count)
            let rc = CZlib.deflate(&stream, final ? Z_FINISH : Z_SYNC_FLUSH)
            guard (final && rc == Z_STREAM_END) || (!final && rc == Z_OK), stream.avail_in == 0 else {
                throw ImageError.compression("deflate failed (\(rc))")
            }
            return out.count - Int(stream.avail_out)
        }
        output.removeLast(output.count - produced)
        return output
    }

    /// Buffers handed to the iterations of a concurrent loop, each of which touches only its own part.
    struct Unchecked<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// The first error of a concurrent loop.
    final class FailureBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var error: Error?
        func set(_ error: Error) {
            lock.lock()
            if self.error == nil { self.error = error }
            lock.unlock()
        }
    }
}
