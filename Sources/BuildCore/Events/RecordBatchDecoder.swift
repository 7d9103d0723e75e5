import Foundation

/// Decodes a whole build record (or a stretch of one) line by line: what `BuildRecord.decode`,
/// `BuildRecordReader` and `EventFile` share.
///
/// Invariants:
/// - Blank lines are neither events nor skipped; every other line is either one event or one
///   skipped line, except lines of the kinds in `skipping`, dropped by their prefix without being
///   decoded and without being counted.
/// - A last line without a newline that does not decode is remembered as `cutLine` (a killed
///   writer) as well as counted, so callers can tell "cut short" from "damaged".
/// - `decode(_:skipping:)` gives the same result whether it splits the work or not: lines are
///   independent, and the pieces are joined in file order.
struct RecordBatchDecoder {
    /// What a record's bytes hold.
    struct Batch {
        var events: [BuildEvent]
        var skippedLines: Int
        /// Lines seen, blank ones included.
        var lineCount: Int
        /// The 1-based number of an unterminated last line that did not decode.
        var cutLine: Int?
    }

    private(set) var skippedLines = 0
    private(set) var lineCount = 0
    private(set) var cutLine: Int?

    private var lines = RecordLineDecoder()
    private let skippedTypes: [[UInt8]]
    private let skippedCodablePrefixes: [[UInt8]]

    init(skipping kinds: Set<String> = []) {
        skippedTypes = kinds.map { Array($0.utf8) }
        skippedCodablePrefixes = kinds.map { Array("{\"kind\":{\"\($0)\":".utf8) }
    }

    /// Below this many bytes a record is decoded on one thread.
    static let parallelThreshold = 4 << 20

    /// Decodes every line of `bytes`, large inputs split at line boundaries across the processors
    /// (a synchronous fork and join: every piece is done, and its memory handed over, when this
    /// returns).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, skipping kinds: Set<String> = []) -> Batch {
        let pieces = min(ProcessInfo.processInfo.activeProcessorCount, 8, bytes.count / parallelThreshold + 1)
        guard pieces > 1, let base = bytes.baseAddress else {
            var decoder = RecordBatchDecoder(skipping: kinds)
            var events: [BuildEvent] = []
            events.reserveCapacity(bytes.count / 160)
            decoder.read(bytes) { events.append($0) }
            return Batch(events: events, skippedLines: decoder.skippedLines, lineCount: decoder.lineCount,
                         cutLine: decoder.cutLine)
        }
        var bounds = [0]
        for i in 1..<pieces {
            let from = max(bytes.count * i / pieces, bounds[bounds.count - 1])
            guard from < bytes.count, let newline = memchr(base + from, 0x0A, bytes.count - from) else { break }
            bounds.append(UnsafeRawPointer(newline).assumingMemoryBound(to: UInt8.self) - base + 1)
        }
        bounds.append(bytes.count)
        let shared = Pieces(bytes: bytes, bounds: bounds, results: .allocate(capacity: bounds.count - 1))
        defer { shared.results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { i in
            let piece = UnsafeBufferPointer(rebasing: shared.bytes[shared.bounds[i]..<shared.bounds[i + 1]])
            var decoder = RecordBatchDecoder(skipping: kinds)
            var run = EventRun(capacity: piece.count / 160)
            decoder.read(piece) { run.append($0) }
            shared.results.initializeElement(at: i, to: (decoder, run))
        }
        var batch = Batch(events: [], skippedLines: 0, lineCount: 0, cutLine: nil)
        let total = shared.results.reduce(0) { $0 + $1.run.count }
        batch.events = Array(unsafeUninitializedCapacity: total) { buffer, initialized in
            initialized = 0
            for i in shared.results.indices {
                let (decoder, run) = shared.results.moveElement(from: i)
                if let cut = decoder.cutLine { batch.cutLine = cut + batch.lineCount }
                batch.skippedLines += decoder.skippedLines
                batch.lineCount += decoder.lineCount
                let count = run.count
                if let to = buffer.baseAddress { run.move(to: to + initialized) }
                initialized += count
            }
        }
        return batch
    }

    /// What the workers of `decode` share. Unchecked, because it is sound by construction: the
    /// input is only read, and worker `i` alone initializes `results[i]`, which is read only after
    /// every worker has returned.
    private struct Pieces: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
        let bounds: [Int]
        let results: UnsafeMutableBufferPointer<(decoder: RecordBatchDecoder, run: EventRun)>
    }

    /// Decodes every line of `bytes`, handing each event to `emit` in order.
    mutating func read(_ bytes: UnsafeBufferPointer<UInt8>, emit: (BuildEvent) -> Void) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var start = 0
        while start < bytes.count {
            let newline = memchr(base + start, 0x0A, bytes.count - start)
            let end = newline.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - base } ?? bytes.count
            lineCount += 1
            let line = BuildRecord.trimmed(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            start = end + 1
            guard !line.isEmpty, !isSkipped(line) else { continue }
            if let event = lines.decode(line) {
                emit(event)
            } else {
                skippedLines += 1
                if newline == nil { cutLine = lineCount }
            }
        }
    }

    private func isSkipped(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !skippedTypes.isEmpty else { return false }
        if let header = BuildRecord.header(line) {
            let type = UnsafeBufferPointer(rebasing: line[header.type])
            return skippedTypes.contains { type.elementsEqual($0) }
        }
        return skippedCodablePrefixes.contains { line.starts(with: $0) }
    }
}

/// Events decoded by one worker, in memory it owns until `move(to:)` hands them over: joining
/// the pieces then moves events instead of copying them (no reference counting per event).
private struct EventRun {
    private var base: UnsafeMutablePointer<BuildEvent>?
    private(set) var count = 0
    private var capacity = 0

    init(capacity: Int) {
        grow(to: max(capacity, 64))
    }

    mutating func append(_ event: BuildEvent) {
        if count == capacity { grow(to: capacity * 2) }
        base?.advanced(by: count).initialize(to: event)
        count += 1
    }

    private mutating func grow(to newCapacity: Int) {
        let bigger = UnsafeMutablePointer<BuildEvent>.allocate(capacity: newCapacity)
        if let base {
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = bigger
        capacity = newCapacity
    }

    /// Moves every event to `destination` (uninitialized memory) and frees the run.
    consuming func move(to destination: UnsafeMutablePointer<BuildEvent>) {
        guard let base else { return }
        destination.moveInitialize(from: base, count: count)
        base.deallocate()
    }
}
