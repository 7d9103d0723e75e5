import Foundation

/// The fan-out point between one build and everything that watches it (dashboard, plain or rawjson
/// printer, build record writer, attach socket).
///
/// Invariants:
/// - Every subscriber sees the same sequence: all events published before it subscribed (replay),
///   then every later one, in publish order, with nothing lost or repeated. Replay and registration
///   happen in one actor turn, so no publish can slip between them.
/// - Publishing never waits for a subscriber: each stream buffers without bound, so a slow viewer
///   costs memory, not build time. (A viewer that cannot keep up should coalesce on its side.)
/// - `finish()` ends every stream, present and future; a stream made after `finish()` replays the
///   whole build and then ends, which is what a late `attach` to a finished build wants. Events
///   published after `finish()` are dropped, so nobody sees a build "continue" after its end.
/// - A subscriber that stops iterating (its task cancelled, the stream dropped) is forgotten;
///   leaving never affects the build or other subscribers.
///
/// Memory stays bounded however much a build logs: once the build record holds an event (its
/// writer acknowledges with `recorded(count:)`), the bus may let it go when the log bytes it holds
/// pass `memoryBudget`. A subscriber arriving later (an `attach`) is first fed the events the bus
/// let go from the record on disk, then the held ones, then live ones: the same sequence as ever.
public actor EventBus {
    /// Held events: `held[start...]` are events `base...` of the build.
    private var held: [BuildEvent] = []
    private var start = 0
    private var base = 0
    /// How many events the record on disk holds (acknowledged by its writer).
    private var recordedCount = 0
    private var record: URL?
    /// The record could not be written: past the budget, old events are let go all the same
    /// (late subscribers are told how many), rather than holding a whole build in memory.
    private var recordLost = false
    /// Log and progress bytes in `held[start...]`.
    private var heldBytes = 0
    private let memoryBudget: Int
    private var subscribers: [Int: AsyncStream<BuildEvent>.Continuation] = [:]
    /// Subscribers still being fed from the record: live events wait in their queue.
    private var catchingUp: [Int: (continuation: AsyncStream<BuildEvent>.Continuation, queue: [BuildEvent])] = [:]
    private var nextSubscriber = 0
    private var finished = false

    /// `memoryBudget`: log bytes held before recorded events are let go.
    public init(memoryBudget: Int = 8 << 20) {
        self.memoryBudget = memoryBudget
    }

    /// The events held in memory, in order (every event so far unless the budget let some go).
    public var history: [BuildEvent] { Array(held[start...]) }

    /// How many events were published, held or not.
    public var publishedCount: Int { base + held.count - start }

    /// True once `finish()` was called.
    public var isFinished: Bool { finished }

    /// How many streams are currently live (for tests and the attach listener's status line).
    public var subscriberCount: Int { subscribers.count + catchingUp.count }

    /// Names the build record the bus may read let-go events back from.
    public func recordAt(_ url: URL) {
        record = url
    }

    /// The record cannot be (or no longer is) written: what it holds so far is still read back.
    public func lostRecord() {
        recordLost = true
        trim()
    }

    /// The record now holds the first `count` events.
    public func recorded(count: Int) {
        recordedCount = max(recordedCount, count)
        trim()
    }

    /// Appends `event` to the history and hands it to every live subscriber. Ignored after `finish()`.
    public func publish(_ event: BuildEvent) {
        guard !finished else { return }
        held.append(event)
        heldBytes += Self.payloadBytes(event)
        for continuation in subscribers.values {
            continuation.yield(event)
        }
        for i in catchingUp.indices { catchingUp.values[i].queue.append(event) }
        if heldBytes > memoryBudget { trim() }
    }

    /// Publishes several events in order, in one actor turn (no other publisher interleaves).
    public func publish(contentsOf batch: [BuildEvent]) {
        for event in batch { publish(event) }
    }

    /// A stream of every event so far, then live events until `finish()`.
    public func subscribe() -> AsyncStream<BuildEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: BuildEvent.self, bufferingPolicy: .unbounded)
        let id = nextSubscriber
        nextSubscriber += 1
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.unsubscribe(id) }
        }
        if base > 0 {
            // Some events live only in the record now (and past what it holds, if it was lost,
            // nowhere): read them back off the actor, then join.
            catchingUp[id] = (continuation, history)
            let (recorded, gone, record) = (min(base, recordedCount), max(0, base - recordedCount), record)
            Task.detached { [weak self] in
                if let record, recorded > 0 { Self.yieldRecorded(recorded, from: record, into: continuation) }
                if gone > 0 {
                    continuation.yield(BuildEvent(.warning(BuildWarning(
                        message: "\(gone) events of this build were not kept: its record could not be written"))))
                }
                await self?.join(id)
            }
            return stream
        }
        for event in held[start...] {
            continuation.yield(event)
        }
        if finished {
            continuation.finish()
        } else {
            subscribers[id] = continuation
        }
        return stream
    }

    /// Ends every stream. Idempotent.
    public func finish() {
        guard !finished else { return }
        finished = true
        let live = subscribers
        subscribers.removeAll()
        for continuation in live.values {
            continuation.finish()
        }
    }

    /// Lets go of the oldest recorded events while the held log bytes exceed the budget.
    private func trim() {
        guard heldBytes > memoryBudget, record != nil || recordLost else { return }
        // (with a lost record, events past what it holds go too: memory stays bounded)
        while heldBytes > memoryBudget / 2, recordLost || base < recordedCount, start < held.count {
            heldBytes -= Self.payloadBytes(held[start])
            start += 1
            base += 1
        }
        // Compact once the dead prefix is most of the array, so removal stays amortised O(1).
        if start > 4096, start * 2 > held.count {
            held.removeFirst(start)
            start = 0
        }
    }

    private static func payloadBytes(_ event: BuildEvent) -> Int {
        if case .log(let chunk) = event.kind { return chunk.data.count + 64 }
        return 64
    }

    /// The first `count` events of the record, in order, decoded a line at a time from the
    /// mapped file (never the whole record in memory at once). A record that cannot give them all
    /// back (removed, damaged) is said so with a warning in their place.
    private nonisolated static func yieldRecorded(_ count: Int, from url: URL, into continuation: AsyncStream<BuildEvent>.Continuation) {
        // Line k of the record is event k: a line that does not decode is said so in its place,
        // so what follows keeps its place.
        var yielded = 0
        if let data = try? Data(contentsOf: url, options: .alwaysMapped) {
            data.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                // One decoder for the record: the steps' digests are shared across its lines.
                var decoder = RecordLineDecoder()
                var start = 0
                while yielded < count, start < bytes.count,
                      let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    let event = decoder.decode(BuildRecord.trimmed(UnsafeBufferPointer(rebasing: bytes[start..<newline])))
                        ?? BuildEvent(.warning(BuildWarning(message: "an event of this build could not be read back from its record")))
                    yielded += 1
                    start = newline + 1
                    // The subscriber left: nobody to read back for.
                    if case .terminated = continuation.yield(event) { return }
                }
            }
        }
        if yielded < count {
            continuation.yield(BuildEvent(.warning(BuildWarning(
                message: "\(count - yielded) early events of this build could not be read back from its record"))))
        }
    }

    /// A catching-up subscriber has had the record's part: the held and queued events follow,
    /// then live ones.
    private func join(_ id: Int) {
        guard let entry = catchingUp.removeValue(forKey: id) else { return }
        for event in entry.queue { entry.continuation.yield(event) }
        if finished {
            entry.continuation.finish()
        } else {
            subscribers[id] = entry.continuation
        }
    }

    private func unsubscribe(_ id: Int) {
        subscribers[id] = nil
        catchingUp[id] = nil
    }
}
