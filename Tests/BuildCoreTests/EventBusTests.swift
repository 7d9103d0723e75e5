import Foundation
import Testing
@testable import BuildCore

@Suite struct EventBusTests {
    static let digest = Digest.sha256("vertex")

    static func event(_ i: Int) -> BuildEvent {
        BuildEvent(time: Date(timeIntervalSince1970: Double(i)),
                   .log(LogChunk(digest: digest, stream: 1, data: Data("line \(i)\n".utf8))))
    }

    static func collect(_ stream: AsyncStream<BuildEvent>) async -> [BuildEvent] {
        var out: [BuildEvent] = []
        for await event in stream { out.append(event) }
        return out
    }

    @Test func lateSubscriberGetsReplayThenLiveEvents() async {
        let bus = EventBus()
        await bus.publish(Self.event(1))
        await bus.publish(Self.event(2))
        let early = await bus.subscribe()
        await bus.publish(Self.event(3))
        let late = await bus.subscribe()
        await bus.publish(Self.event(4))
        await bus.finish()

        let expected = (1...4).map(Self.event)
        #expect(await Self.collect(early) == expected)
        #expect(await Self.collect(late) == expected)
        #expect(await bus.history == expected)
    }

    @Test func subscribingAfterFinishReplaysAndEnds() async {
        let bus = EventBus()
        await bus.publish(Self.event(1))
        await bus.finish()
        await bus.publish(Self.event(2))
        #expect(await Self.collect(bus.subscribe()) == [Self.event(1)])
        #expect(await bus.history == [Self.event(1)])
    }

    @Test func slowSubscriberDoesNotBlockPublisher() async {
        let bus = EventBus()
        let idle = await bus.subscribe()
        for i in 0..<10_000 { await bus.publish(Self.event(i)) }
        await bus.finish()
        let received = await Self.collect(idle)
        #expect(received.count == 10_000)
        #expect(received.last == Self.event(9_999))
    }

    @Test func concurrentSubscribersSeeTheSameOrder() async {
        let bus = EventBus()
        let streams = await (0..<5).asyncMap { _ in await bus.subscribe() }
        async let published: Void = {
            for i in 0..<500 { await bus.publish(Self.event(i)) }
            await bus.finish()
        }()
        let results = await withTaskGroup(of: [BuildEvent].self) { group in
            for stream in streams { group.addTask { await Self.collect(stream) } }
            var all: [[BuildEvent]] = []
            for await r in group { all.append(r) }
            return all
        }
        await published
        #expect(results.count == 5)
        for r in results { #expect(r == (0..<500).map(Self.event)) }
    }

    @Test func recordedEventsLeaveMemoryAndLateSubscribersReadThemBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bus-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let bus = EventBus(memoryBudget: 16 << 10)
        let writer = try BuildRecordWriter(url: dir.appendingPathComponent("record.jsonl"))
        let recording = Task { try await writer.record(await bus.subscribe(), acknowledging: bus) }
        let chunk = String(repeating: "x", count: 1000)
        func event(_ i: Int) -> BuildEvent {
            BuildEvent(time: Date(timeIntervalSince1970: Double(i)),
                       .log(LogChunk(digest: Self.digest, stream: 1, data: Data("\(i) \(chunk)\n".utf8))))
        }
        let early = await bus.subscribe()
        for i in 0..<2_000 {
            await bus.publish(event(i))
            if i % 500 == 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        }
        // Let the writer catch up: it acknowledges every 256 events, and what it acknowledged
        // leaves memory down to half the budget.
        for _ in 0..<1_000 where await bus.history.count >= 256 + 16 {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        let held = await bus.history.count, published = await bus.publishedCount
        #expect(held < 256 + 16, "held \(held) of \(published)")
        let late = await bus.subscribe()
        await bus.publish(event(2_000))
        await bus.finish()
        try await recording.value
        let all = await Self.collect(early)
        #expect(all == (0...2_000).map(event))
        #expect(await Self.collect(late) == all)
    }

    @Test func withoutARecordOldEventsStillLeaveMemoryAndLateSubscribersAreTold() async {
        let bus = EventBus(memoryBudget: 16 << 10)
        await bus.lostRecord()
        let chunk = Data(String(repeating: "y", count: 1000).utf8)
        for i in 0..<1_000 {
            await bus.publish(BuildEvent(time: Date(timeIntervalSince1970: Double(i)), .log(LogChunk(digest: Self.digest, stream: 1, data: chunk))))
        }
        #expect(await bus.history.count < 32)
        let late = await bus.subscribe()
        await bus.finish()
        let got = await Self.collect(late)
        guard case .warning(let w)? = got.first?.kind else {
            Issue.record("no warning first")
            return
        }
        #expect(w.message.contains("were not kept"))
        #expect(got.count == 1 + (await bus.history.count))
    }

    @Test func droppedSubscriberIsForgotten() async {
        let bus = EventBus()
        let task = Task {
            for await _ in await bus.subscribe() { break }
        }
        await bus.publish(Self.event(1))
        await task.value
        for _ in 0..<100 where await bus.subscriberCount > 0 {
            try? await Task.sleep(nanoseconds: 1_000_000)
        }
        #expect(await bus.subscriberCount == 0)
        await bus.publish(Self.event(2))
        await bus.finish()
    }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async -> T) async -> [T] {
        var out: [T] = []
        for element in self { out.append(await transform(element)) }
        return out
    }
}
