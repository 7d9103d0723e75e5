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
        try StreamCodec.compress(data) { try Compressor(forwardingTo: $0, level: level) }
    }

    /// A sink that gzips what it is given into `next`; `finish()` writes the trailer and
    /// finishes `next`. Blocks compress on the global queue while the next batch is being filled:
    /// one batch in flight, so memory stays at two batches whatever the stream's length.
    public final class Compressor: ByteSink {
        private let next: ByteSink
        private let level: Int32
        /// Input not yet handed to a batch.
        private var pending: [UInt8] = []
        private var parallel = false
        /// The last 32 KiB of input before `pending`: the dictionary of its first block.
        private var dictionary: [UInt8] = []
        private var inFlight: Batch?
        private var crc: UInt = 0
        private var length: UInt64 = 0
        private let batchBytes: Int
        private var finished = false

        public init(forwardingTo next: ByteSink, level: Int32 = Gzip.defaultLevel) throws {
            guard (0...9).contains(level) else { throw ImageError.compression("gzip level \(level) is not in 0...9") }
            self.next = next
            self.level = level
            batchBytes = max(8, 4 * ProcessInfo.processInfo.activeProcessorCount) * ParallelGzip.blockSize
            pending.reserveCapacity(ParallelGzip.threshold)
        }

        deinit { inFlight?.wait() }

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            guard !bytes.isEmpty else { return }
            pending.append(contentsOf: bytes)
            if !parallel && pending.count >= ParallelGzip.threshold {
                parallel = true
                try next.write(header)
            }
            if parallel && pending.count >= batchBytes {
                try startBatch(Array(pending[0..<batchBytes]))
                pending.removeFirst(batchBytes)
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
            if !pending.isEmpty { try startBatch(pending) }
            pending = []
            try drain()
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

        /// Writes the batch in flight once it is done, then sets `input` compressing.
        private func startBatch(_ input: [UInt8]) throws {
            try drain()
            let batch = Batch(input: input, dictionary: dictionary, level: level)
            dictionary = Array(input.suffix(ParallelGzip.dictionarySize))
            batch.start()
            inFlight = batch
        }

        /// Waits for the batch in flight and writes its blocks, in order.
        private func drain() throws {
            guard let batch = inFlight else { return }
            inFlight = nil
            batch.wait()
            if let error = batch.failure.error { throw error }
            for i in 0..<batch.count {
                try next.write(batch.outputs[i])
                let blockLength = batch.blockLength(i)
                crc = CZlib.crc32_combine(crc, batch.crcs[i], off_t(blockLength))
                length &+= UInt64(blockLength)
            }
        }
    }

    /// Consecutive blocks compressing on the global queue, each into its own slot.
    final class Batch: @unchecked Sendable {
        let input: [UInt8]
        let dictionary: [UInt8]
        let level: Int32
        let count: Int
        /// One slot per block, allocated before any block starts, each written by its own block.
        let outputs: UnsafeMutablePointer<[UInt8]>
        let crcs: UnsafeMutablePointer<UInt>
        let failure = FailureBox()
        private let group = DispatchGroup()

        init(input: [UInt8], dictionary: [UInt8], level: Int32) {
            self.input = input
            self.dictionary = dictionary
            self.level = level
            count = (input.count + ParallelGzip.blockSize - 1) / ParallelGzip.blockSize
            outputs = .allocate(capacity: count)
            outputs.initialize(repeating: [], count: count)
            crcs = .allocate(capacity: count)
            crcs.initialize(repeating: 0, count: count)
        }

        deinit {
            group.wait()
            outputs.deinitialize(count: count)
            outputs.deallocate()
            crcs.deallocate()
        }

        func blockLength(_ i: Int) -> Int { min(ParallelGzip.blockSize, input.count - i * ParallelGzip.blockSize) }

        /// Not `concurrentPerform`: that runs serially when the caller is itself inside one (the
        /// layers of an image compress concurrently), which would leave cores idle.
        func start() {
            for i in 0..<count {
                group.enter()
                DispatchQueue.global(qos: .userInitiated).async { [self] in
                    compress(i)
                    group.leave()
                }
            }
        }

        func wait() { group.wait() }

        /// Block `i`, primed with the 32 KiB before it. Writes only slot `i`; the slots are read
        /// only after `wait()`.
        private func compress(_ i: Int) {
            let size = ParallelGzip.blockSize
            let start = i * size
            input.withUnsafeBytes { all in
                let block = UnsafeRawBufferPointer(rebasing: all[start..<(start + blockLength(i))])
                let crc = CZlib.crc32(0, block.baseAddress!.assumingMemoryBound(to: Bytef.self), UInt32(block.count))
                do {
                    let output: [UInt8]
                    if i == 0 {
                        output = try dictionary.withUnsafeBytes {
                            try ParallelGzip.deflate(block, dictionary: $0, level: level, final: false)
                        }
                    } else {
                        let before = UnsafeRawBufferPointer(rebasing: all[max(0, start - ParallelGzip.dictionarySize)..<start])
                        output = try ParallelGzip.deflate(block, dictionary: before, level: level, final: false)
                    }
                    outputs[i] = output
                    crcs[i] = crc
                } catch {
                    failure.set(error)
                }
            }
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
