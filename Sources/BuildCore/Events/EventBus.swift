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
/// The bus keeps the whole history in memory because attach needs it; the record on disk is the
/// durable copy.
public actor EventBus {
    private var events: [BuildEvent] = []
    private var subscribers: [Int: AsyncStream<BuildEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var finished = false

    public init() {}

    /// Every event published so far, in order.
    public var history: [BuildEvent] { events }

    /// True once `finish()` was called.
    public var isFinished: Bool { finished }

    /// How many streams are currently live (for tests and the attach listener's status line).
    public var subscriberCount: Int { subscribers.count }

    /// Appends `event` to the history and hands it to every live subscriber. Ignored after `finish()`.
    public func publish(_ event: BuildEvent) {
        guard !finished else { return }
        events.append(event)
        for continuation in subscribers.values {
            continuation.yield(event)
        }
    }

    /// Publishes several events in order, in one actor turn (no other publisher interleaves).
    public func publish(contentsOf batch: [BuildEvent]) {
        for event in batch { publish(event) }
    }

    /// A stream of every event so far, then live events until `finish()`.
    public func subscribe() -> AsyncStream<BuildEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: BuildEvent.self, bufferingPolicy: .unbounded)
        for event in events {
            continuation.yield(event)
        }
        if finished {
            continuation.finish()
            return stream
        }
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.unsubscribe(id) }
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

    private func unsubscribe(_ id: Int) {
        subscribers[id] = nil
    }
}
