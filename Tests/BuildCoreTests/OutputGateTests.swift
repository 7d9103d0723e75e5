import Foundation
import Testing
@testable import BuildCore

/// Backpressure between a step's output and the build record.
@Suite struct OutputGateTests {
    /// Runs `body` on a thread of its own; the flag says when it has returned.
    final class Waiter: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        var isDone: Bool { lock.withLock { done } }

        init(_ body: @escaping @Sendable () -> Void) {
            Thread.detachNewThread { [self] in
                body()
                lock.withLock { done = true }
            }
        }

        func waitUntilDone() -> Bool {
            for _ in 0..<500 where !isDone { usleep(10_000) }
            return isDone
        }
    }

    @Test func anOutputThreadWaitsWhileTheRecordLagsAndGoesOnWhenItCatchesUp() {
        let gate = OutputGate(limit: 1_000)
        gate.enter(600)
        #expect(Waiter { gate.waitForRoom() }.waitUntilDone(), "below the limit: no wait")
        gate.enter(600)
        let blocked = Waiter { gate.waitForRoom() }
        usleep(100_000)
        #expect(!blocked.isDone, "1,200 bytes not recorded: the output waits")
        gate.leave(600)
        #expect(blocked.waitUntilDone())
        #expect(gate.pending == 600 + OutputGate.eventOverhead)
    }

    @Test func openingTheGateReleasesEveryoneForGood() {
        let gate = OutputGate(limit: 10)
        gate.enter(100)
        let waiters = (0..<3).map { _ in Waiter { gate.waitForRoom() } }
        usleep(50_000)
        #expect(waiters.allSatisfy { !$0.isDone })
        gate.open()
        #expect(waiters.allSatisfy { $0.waitUntilDone() })
        gate.enter(1_000)
        #expect(Waiter { gate.waitForRoom() }.waitUntilDone())
    }
}

/// A viewer's queue is bounded: falling too far behind drops the viewer with a notice.
@Suite struct LineQueueTests {
    @Test func aViewerTooFarBehindIsToldAndDropped() {
        let queue = LineQueue(limit: 100)
        #expect(queue.push(Data(repeating: 0x41, count: 60)))
        #expect(!queue.push(Data(repeating: 0x42, count: 60)), "over the limit")
        #expect(!queue.push(Data("more\n".utf8)), "nothing more is taken")
        let sent = queue.popAll().map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(sent.contains("fell more than") && !sent.contains("AAAA"))
        #expect(BuildRecord.decode(Data(sent.utf8)).events.count == 1)
        #expect(queue.popAll() == nil)
    }
}
