import Foundation

/// Backpressure between the steps' output and the build record: a step's output thread waits
/// while more than `limit` bytes of log are published but not yet written to the record, so a
/// step printing faster than the record can take it is slowed (its pipe fills and its writes
/// block, as under BuildKit) instead of growing the process without bound.
///
/// Only threads that may block (the executor's output pumps) call `waitForRoom`; bytes are
/// counted as published (`enter`) and as recorded (`leave`) wherever that happens. `open()` lifts the limit for good: the record is gone (not
/// created, failed, finished), so nothing would ever let a waiting step go on.
public final class OutputGate: @unchecked Sendable {
    public let limit: Int
    /// What an event costs beyond its bytes (a 1-byte chunk is not free): both sides add it.
    public static let eventOverhead = 64
    private let condition = NSCondition()
    private var inFlight = 0
    private var isOpen = false

    public init(limit: Int = 16 << 20) {
        self.limit = limit
    }

    /// Waits while the limit is reached.
    public func waitForRoom() {
        condition.lock()
        while !isOpen, inFlight >= limit { condition.wait() }
        condition.unlock()
    }

    /// A log event of `bytes` was published.
    public func enter(_ bytes: Int) {
        condition.lock()
        inFlight += bytes + Self.eventOverhead
        condition.unlock()
    }

    /// A log event of `bytes` reached the record.
    public func leave(_ bytes: Int) {
        condition.lock()
        inFlight = max(0, inFlight - bytes - Self.eventOverhead)
        condition.broadcast()
        condition.unlock()
    }

    public func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    /// Bytes published and not yet recorded (for tests).
    public var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return inFlight
    }
}
