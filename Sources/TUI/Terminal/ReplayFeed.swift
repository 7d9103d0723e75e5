import BuildCore
import Foundation

/// A recorded build's events on their way to a replay: whoever reads the record appends batches
/// as they are decoded (from any thread or task), and the replay takes them between frames, so
/// its first frame shows as soon as the first batch is in while the rest still loads.
///
/// Batches are handed over as they came, never merged, so a record of a million events is never
/// copied whole.
public final class ReplayFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var batches: [[BuildEvent]] = []
    private var finished = false
    private var failure: String?

    public init() {}

    /// A feed holding a whole record already.
    public convenience init(events: [BuildEvent]) {
        self.init()
        append(events)
        finish()
    }

    /// More events, in record order.
    public func append(_ events: [BuildEvent]) {
        guard !events.isEmpty else { return }
        lock.lock()
        batches.append(events)
        lock.unlock()
    }

    /// No more events will come. `error` says why the record ended early (a damaged line); the
    /// replay shows it on its hint bar.
    public func finish(error: String? = nil) {
        lock.lock()
        finished = true
        failure = error
        lock.unlock()
    }

    /// The batches appended since the last call; `finished` once the last of them is taken.
    func take() -> (batches: [[BuildEvent]], finished: Bool, error: String?) {
        lock.lock()
        defer { lock.unlock() }
        let out = batches
        batches.removeAll()
        return (out, finished, failure)
    }
}
