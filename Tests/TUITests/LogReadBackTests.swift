import BuildCore
import Foundation
import Testing
@testable import TUI

/// Older log lines read back from the build's events: the same lines, numbered the same, as the
/// live log had before it let them go; from memory (replay) and from a record on disk.
@Suite struct LogReadBackTests {
    typealias E = Events

    /// A chatty step with everything that shapes numbering: whole and partial lines across
    /// chunks, two streams, carriage-return progress, a warning note, another step's output
    /// interleaved, and the step's end flushing an unterminated line.
    static func messages() -> [DashboardMessage] {
        var out: [DashboardMessage] = [E.start(), E.started("v", at: 0), E.started("w", at: 0)]
        var t = 1.0
        for chunk in 0..<60 {
            var text = (0..<250).map { "line \(chunk * 250 + $0)\n" }.joined()
            if chunk % 7 == 0 { text += "progress 10%\rprogress 50%\rprogress 100%" }
            if chunk % 5 == 0 { text += "partial-\(chunk)-" }
            out.append(E.log("v", at: t, text))
            out.append(E.log("v", at: t, "err \(chunk)\n", stream: 2))
            out.append(E.log("w", at: t, "other \(chunk)\n"))
            if chunk == 30 {
                out.append(E.at(t, .warning(BuildWarning(message: "half way", digest: E.digest("v")))))
            }
            t += 0.01
        }
        out.append(E.log("v", at: t, "no newline at the end"))
        out.append(E.completed("v", at: t + 1))
        out.append(E.finished(at: t + 2, .succeeded))
        return out
    }

    static func events(_ messages: [DashboardMessage]) -> [BuildEvent] {
        messages.compactMap { if case .event(let e) = $0 { e } else { nil } }
    }

    /// Every line of step `v` as a log that drops nothing numbers them.
    static func allLines(_ events: [BuildEvent]) -> [StepLog.Line] {
        var log = StepLog(capacity: 1 << 30)
        for e in events { LogReadBack.feed(e, for: E.digest("v"), into: &log) }
        return (0..<log.endNumber).compactMap { log.line($0) }
    }

    static func shown(_ line: StepLog.Line) -> String {
        "\(line.stream) \(line.isWarning) \(line.text) \(Int((line.time.timeIntervalSince1970 * 1000).rounded()))"
    }

    @Test func readBackLinesMatchWhatTheLiveLogNumbered() {
        let messages = Self.messages()
        let state = DashboardState.after(messages, limits: LogLimits(perStep: 500, total: 100_000))
        guard let kept = state.step(E.digest("v"))?.log else {
            Issue.record("no step")
            return
        }
        let all = Self.allLines(Self.events(messages))
        #expect(kept.dropped > 10_000)
        #expect(kept.endNumber == all.count)
        // What the live log still keeps agrees with the whole log, number for number.
        for n in kept.firstNumber..<kept.endNumber { #expect(kept.line(n) == all[n]) }
        let events = Self.events(messages)
        for range in [0..<10, 1234..<2345, (kept.firstNumber - 100)..<kept.firstNumber] {
            let back = LogReadBack.lines(of: E.digest("v"), in: range) { body in
                for e in events where !body(e) { break }
            }
            #expect(back.first == range.lowerBound)
            #expect(back.lines.map(Self.shown) == all[range].map(Self.shown))
        }
        #expect(all.contains { $0.isWarning && $0.text == "WARN: half way" })
        #expect(all.last?.text == "no newline at the end")
    }

    @Test func aRecordOnDiskGivesTheSameLinesFromItsCheckpoints() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("readback-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("b.jsonl")
        let writer = try BuildRecordWriter(url: url)
        let events = Self.events(Self.messages())
        let half = events.count / 2
        for e in events[..<half] { try await writer.append(e) }
        let archive = RecordLogArchive(url: url)
        let all = Self.allLines(events)
        // Indexed while the build goes on: a first read sees half, a later one the rest.
        let early = archive.lines(of: E.digest("v"), in: 0..<100)
        #expect(early.lines.map(Self.shown) == all[0..<100].map(Self.shown))
        for e in events[half...] { try await writer.append(e) }
        try await writer.close()
        for range in [0..<5, 4_321..<6_789, (all.count - 300)..<all.count, 14_990..<15_020] {
            let back = archive.lines(of: E.digest("v"), in: range)
            // The record keeps times to the microsecond: compare what the pane shows.
            #expect(back.lines.map(Self.shown) == all[range].map(Self.shown), "lines \(range)")
        }
        #expect(archive.lines(of: E.digest("nothing"), in: 0..<10).lines.isEmpty)
    }

    @Test func aSearchFindsLinesOnDiskAndNMovesThere() async throws {
        let messages = Self.messages()
        var state = DashboardState.after(messages, limits: LogLimits(perStep: 500, total: 100_000))
        state.canReadBack = true
        state.select(E.digest("v"), pin: true)
        let first = try #require(state.step(E.digest("v"))?.log.firstNumber)
        state.press(.char("/"))
        state.type("line 1234")
        let effects = state.press(.enter)
        guard case .searchLog(let digest, let query, let below)? = effects.last else {
            Issue.record("no search of the lines on disk: \(effects)")
            return
        }
        #expect(digest == E.digest("v") && query == "line 1234" && below == first)
        // From the events (a replay) and from the record on disk: the same matches.
        let events = Self.events(messages)
        let found = LogReadBack.matches(of: digest, query: query, below: below) { body in
            for e in events where !body(e) { break }
        }
        let all = Self.allLines(events)
        let expected = (0..<below).filter { all[$0].text.contains("line 1234") }
        #expect(found.numbers == expected && expected.count == 11)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let writer = try BuildRecordWriter(url: dir.appendingPathComponent("b.jsonl"))
        for e in events { try await writer.append(e) }
        try await writer.close()
        #expect(RecordLogArchive(url: dir.appendingPathComponent("b.jsonl")).matches(of: digest, query: query, below: below) == found)
        // No match in memory: the nearest on disk is shown when they arrive, with its lines asked
        // for; N goes to the one before.
        #expect(state.flash?.contains("searching") == true)
        let shown = state.apply(.olderMatches(found))
        #expect(state.log.matches == expected)
        #expect(state.log.current == expected.count - 1)
        #expect(state.log.top <= expected.last! && state.log.top > expected.last! - 24)
        #expect(shown.contains { if case .readLog = $0 { true } else { false } })
        state.press(.char("N"))
        #expect(state.log.current == expected.count - 2)
        #expect(state.log.top <= expected[expected.count - 2])
    }

    @Test func aShortReadIsAskedAgainASecondLater() {
        var state = DashboardState.after(Self.messages(), limits: LogLimits(perStep: 500, total: 100_000))
        state.canReadBack = true
        state.select(E.digest("v"), pin: true)
        let t = E.t0.addingTimeInterval(100)
        state.apply(.tick(t))
        guard case .readLog(let digest, let range)? = state.press(.tab, .home).last else {
            Issue.record("no read asked for")
            return
        }
        // The record held only the first 10 of the lines asked for.
        let all = Self.allLines(Self.events(Self.messages()))
        state.apply(.olderLines(ReadBackLines(digest: digest, first: range.lowerBound, lines: Array(all[range.lowerBound..<(range.lowerBound + 10)]))))
        #expect(state.apply(.tick(t.addingTimeInterval(0.5))).isEmpty)
        let again = state.apply(.tick(t.addingTimeInterval(1.5)))
        #expect(again.contains { if case .readLog = $0 { true } else { false } })
        // A whole answer ends it.
        state.apply(.olderLines(ReadBackLines(digest: digest, first: range.lowerBound, lines: Array(all[range]))))
        #expect(state.apply(.tick(t.addingTimeInterval(5))).isEmpty)
    }

    @Test func aRecordThatCannotBeReadTurnsReadingBackOff() {
        let back = RecordLogArchive(url: URL(fileURLWithPath: "/nonexistent/record.jsonl")).lines(of: E.digest("v"), in: 0..<10)
        #expect(back.unavailable)
        var state = DashboardState.after(Self.messages(), limits: LogLimits(perStep: 500, total: 100_000))
        state.canReadBack = true
        state.select(E.digest("v"), pin: true)
        state.press(.tab, .home)
        state.apply(.olderLines(back))
        #expect(!state.canReadBack)
        #expect(state.render(width: 80, height: 24).text.contains("earlier lines dropped"))
    }

    @Test func scrollingAboveTheKeptLinesAsksForThemAndShowsThem() {
        var state = DashboardState.after(Self.messages(), limits: LogLimits(perStep: 500, total: 100_000))
        state.canReadBack = true
        state.select(E.digest("v"), pin: true)
        guard let kept = state.step(E.digest("v"))?.log else {
            Issue.record("no step")
            return
        }
        // Home in the log pane goes to line 0, which only the record holds now.
        let effects = state.press(.tab, .home)
        guard case .readLog(let digest, let range)? = effects.last else {
            Issue.record("no read asked for: \(effects)")
            return
        }
        #expect(digest == E.digest("v"))
        #expect(range.lowerBound == 0 && range.upperBound <= kept.firstNumber)
        #expect(state.render(width: 80, height: 24).text.contains("…"), "lines on their way")
        #expect(state.press(.down).isEmpty, "the same window is not asked for twice")
        let all = Self.allLines(Self.events(Self.messages()))
        state.apply(.olderLines(ReadBackLines(digest: digest, first: range.lowerBound, lines: Array(all[range]))))
        state.press(.home)
        let screen = state.render(width: 80, height: 24).text
        #expect(screen.contains("line 0"))
        #expect(screen.contains("older on disk"))
        #expect(!screen.contains("earlier lines dropped"))
    }
}
