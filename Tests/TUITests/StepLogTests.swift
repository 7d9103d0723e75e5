import BuildCore
import Foundation
import Testing
@testable import TUI

/// Logs: bounded memory, carriage-return progress, escape sequences, partial lines.
@Suite struct StepLogTests {
    typealias E = Events

    /// A batch whose later output pushes earlier output out is counted, not stored, and ends
    /// exactly where taking its events one by one ends: same lines, numbers, pending lines.
    @Test(arguments: [1, 7, 250, 3_000])
    func aFloodingBatchEndsLikeEventByEvent(linesPerChunk: Int) {
        let limits = LogLimits(perStep: 300, total: 100_000)
        var messages: [DashboardMessage] = [E.start(), E.started("v", at: 0), E.started("w", at: 0)]
        var n = 0
        for chunk in 0..<40 {
            var text = ""
            for _ in 0..<linesPerChunk { text += "line \(n)\n"; n += 1 }
            if chunk % 3 == 0 { text += "50%\r75%\r" }
            if chunk % 4 == 0 { text += String(repeating: "long", count: 5_000) }
            if chunk % 5 == 0 { text += "partial " }
            messages.append(E.log("v", at: 1 + Double(chunk) * 0.01, text, stream: chunk % 7 == 0 ? 2 : 1))
            messages.append(E.log("w", at: 1 + Double(chunk) * 0.01, "w \(chunk)\n"))
            if chunk == 20 { messages.append(E.at(1.2, .warning(BuildWarning(message: "note", digest: E.digest("v"))))) }
        }
        let events = messages.compactMap { if case .event(let e) = $0 { e } else { nil } }
        let oneByOne = DashboardState.after(messages, limits: limits)
        var batched = DashboardState(limits: limits)
        batched.feed([.events(Array(events.prefix(10))), .events(Array(events.dropFirst(10)))])
        for id in ["v", "w"] {
            let a = oneByOne.step(E.digest(id))!.log, b = batched.step(E.digest(id))!.log
            #expect(a.dropped == b.dropped && a.endNumber == b.endNumber, "\(id)")
            #expect(oneByOne.lines(id) == batched.lines(id))
            #expect(a.pendingLines == b.pendingLines)
        }
        #expect(oneByOne.totalLogLines == batched.totalLogLines)
        #expect(oneByOne.render(width: 100, height: 30).text == batched.render(width: 100, height: 30).text)
    }

    @Test func aFloodKeepsTheNewestLinesAndCountsTheRest() {
        var state = DashboardState.after([E.start(), E.started("v", at: 0)])
        // 100,000 lines in chunks of 1,000, as a chatty step would send them.
        for chunk in 0..<100 {
            let text = (0..<1000).map { "line \(chunk * 1000 + $0)\n" }.joined()
            state.feed([E.log("v", at: 1 + Double(chunk) * 0.01, text)])
        }
        guard let log = state.step(E.digest("v"))?.log else {
            Issue.record("no step")
            return
        }
        #expect(log.count == LogLimits().perStep)
        #expect(log.dropped == 100_000 - LogLimits().perStep)
        #expect(log.line(log.endNumber - 1)?.text == "line 99999")
        #expect(log.line(log.firstNumber)?.text == "line 95000")
        #expect(log.line(0) == nil, "dropped lines are gone")
        #expect(state.totalLogLines == LogLimits().perStep)
        let grid = state.render(width: 80, height: 24)
        #expect(grid.text.contains("line 99999"))
        #expect(grid.text.contains("95000 older dropped"))
        state.press(.tab, .home)
        #expect(state.render(width: 80, height: 24).text.contains("95000 earlier lines dropped"))
    }

    @Test func theGlobalCapBoundsAllStepsTogether() {
        let limits = LogLimits(perStep: 1000, total: 2500)
        var state = DashboardState(limits: limits)
        for step in 0..<6 {
            state.feed([E.started("s\(step)", at: 0)])
            state.feed([E.log("s\(step)", at: 1, (0..<900).map { "s\(step) line \($0)\n" }.joined())])
        }
        #expect(state.totalLogLines <= limits.total)
        #expect(state.totalLogLines == state.steps.reduce(0) { $0 + $1.log.count })
        #expect(state.lines("s5").last == "s5 line 899", "the newest output is kept")
        #expect(state.steps.reduce(0) { $0 + $1.log.dropped } == 6 * 900 - state.totalLogLines)
    }

    @Test func ringOverwritesAndFreesInOrder() {
        var ring = LogRing<Int>(capacity: 3)
        for i in 0..<5 { ring.append(i) }
        #expect((0..<ring.count).compactMap { ring[$0] } == [2, 3, 4])
        ring.removeFirst(2)
        #expect(ring.count == 1 && ring[0] == 4)
        ring.append(5)
        ring.append(6)
        ring.append(7)
        #expect((0..<ring.count).compactMap { ring[$0] } == [5, 6, 7])
        ring.removeFirst(10)
        #expect(ring.isEmpty && ring[0] == nil)
    }

    @Test func carriageReturnProgressCollapsesToItsLastState() {
        var log = StepLog(capacity: 100)
        log.append(Data("Downloading  10%\rDownloading  50%\rDownloading 100%\ndone\r\n".utf8), stream: 1, at: E.t0)
        #expect(log.count == 2)
        #expect(log.line(0)?.text == "Downloading 100%")
        #expect(log.line(1)?.text == "done", "CRLF is just a line ending")
    }

    @Test func aPendingProgressBarStaysOneShortLine() {
        var log = StepLog(capacity: 100)
        for i in 0..<10_000 { log.append(Data("[\(i % 100)%]\r".utf8), stream: 1, at: E.t0) }
        #expect(log.count == 0)
        #expect(log.pendingLines.map(\.text) == ["[99%]"])
        log.append(Data("\rfinished\n".utf8), stream: 1, at: E.t0)
        #expect(log.line(0)?.text == "finished")
        #expect(log.pendingLines.isEmpty)
    }

    @Test func manyRedrawsInOneChunkDoNotBecomeLines() {
        var log = StepLog(capacity: 100)
        let redraws = (0..<20_000).map { "\r[\($0 % 100)%] downloading" }.joined()
        log.append(Data(redraws.utf8), stream: 1, at: E.t0)
        #expect(log.count == 0)
        #expect(log.pendingLines.map(\.text) == ["[99%] downloading"])
    }

    @Test func escapeSequencesAreStripped() {
        let cases: [(String, String)] = [
            ("\u{1b}[32mok\u{1b}[0m 1", "ok 1"),
            ("\u{1b}[1;31;40mred\u{1b}[m", "red"),
            ("\u{1b}]0;window title\u{07}text", "text"),
            ("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\", "link"),
            ("a\u{1b}[2Kb\u{1b}[1A\u{1b}[10Gc", "abc"),
            ("\u{1b}(Bplain\u{1b}7\u{1b}8", "plain"),
            ("\u{9b}31mc1\u{9b}0m", "c1"),
            ("bell\u{07} and \u{08}backspace\u{7f}", "bell and backspace"),
            ("a\tb\tc", "a       b       c"),
            ("\u{1b}[2K\r40 passed", "40 passed"),
        ]
        for (raw, expected) in cases {
            #expect(TerminalText.visibleLine(Array(raw.utf8)[...]) == expected, "\(raw.debugDescription)")
        }
    }

    @Test func demoLogsAreClean() {
        let state = DemoBuild(.succeeded).state()
        let lines = state.step(DemoBuild.runTests).map { step in
            (step.log.firstNumber..<step.log.endNumber).compactMap { step.log.line($0)?.text }
        } ?? []
        #expect(lines.contains("ok 1 - rejects a bad digest"))
        #expect(lines.contains("40 passed, 0 failed"))
        #expect(lines.contains("progress [##########] 100%") == false, "a progress redraw is overwritten by its line")
        #expect(lines.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } })
    }

    @Test func partialLinesAndSplitCharactersJoinAcrossChunks() {
        var log = StepLog(capacity: 10)
        let bytes = Array("héllo wörld\n".utf8)
        // Split inside the two-byte é and the two-byte ö.
        log.append(Data(bytes[0..<2]), stream: 1, at: E.t0)
        log.append(Data(bytes[2..<9]), stream: 1, at: E.t0.addingTimeInterval(1))
        #expect(log.count == 0)
        log.append(Data(bytes[9...]), stream: 1, at: E.t0.addingTimeInterval(2))
        #expect(log.line(0)?.text == "héllo wörld")
        #expect(log.line(0)?.time == E.t0, "a line keeps the time of its first byte")
    }

    @Test func streamsAreHeldApart() {
        var log = StepLog(capacity: 10)
        log.append(Data("out-".utf8), stream: 1, at: E.t0)
        log.append(Data("err\n".utf8), stream: 2, at: E.t0)
        log.append(Data("put\n".utf8), stream: 1, at: E.t0)
        #expect((0..<2).compactMap { log.line($0)?.text } == ["err", "out-put"])
    }

    @Test func aHugeLineIsCutWithoutSplittingCharacters() {
        var log = StepLog(capacity: 100)
        let line = String(repeating: "é", count: StepLog.maxLineBytes)   // 2 bytes each
        log.append(Data(line.utf8), stream: 1, at: E.t0)
        log.flush()
        let texts = (0..<log.count).compactMap { log.line($0)?.text }
        #expect(texts.joined() == line)
        #expect(texts.allSatisfy { !$0.contains("\u{fffd}") })
        #expect(texts.allSatisfy { $0.utf8.count <= StepLog.maxLineBytes })
    }

    /// The fast paths (printable ASCII taken as it is, whole lines cleaned straight from the
    /// chunk) agree with the general ones: measured lengths are the text's count, and output cut
    /// into chunks anywhere gives the lines it gives in one piece.
    @Test func fastPathsAgreeWithTheGeneralOnes() {
        var rng = SystemRandomNumberGenerator()
        let pieces: [[UInt8]] = [Array("ab".utf8), Array("make all ".utf8), [0x0A], [0x09], [0x1B], Array("[1;32m".utf8),
                                 Array("é".utf8), [0xC3], [0xFF], [0x07], Array("漢".utf8), [0x7F], Array("e\u{301}".utf8)]
        for _ in 0..<500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...60, using: &rng) { bytes += pieces.randomElement(using: &rng) ?? [] }
            let line = bytes.withUnsafeBufferPointer { TerminalText.visibleLine($0) }
            #expect(line.length == line.text.count)
            #expect(line.text == TerminalText.clean(bytes[...]))

            var whole = StepLog(capacity: 1000), cut = StepLog(capacity: 1000)
            whole.append(Data(bytes), stream: 1, at: E.t0)
            var rest = bytes[...]
            while !rest.isEmpty {
                let n = Int.random(in: 1...max(1, rest.count), using: &rng)
                cut.append(Data(rest.prefix(n)), stream: 1, at: E.t0)
                rest = rest.dropFirst(n)
            }
            whole.flush()
            cut.flush()
            #expect((0..<whole.count).map { whole.line($0)?.text } == (0..<cut.count).map { cut.line($0)?.text })
            #expect((0..<whole.count).map { whole.line($0)?.length } == (0..<cut.count).map { cut.line($0)?.length })
        }
    }

    @Test func pendingOutputIsCommittedWhenTheStepEnds() {
        let state = DashboardState.after([E.started("v", at: 0), E.log("v", at: 0.5, "no newline"), E.completed("v", at: 1)])
        #expect(state.lines("v") == ["no newline"])
        #expect(state.totalLogLines == 1)
    }

    @Test func aChunkLargerThanTheRingEndsLikeLineByLine() {
        let text = (1...2_500).map { "line \($0)\r\u{1b}[32mok\u{1b}[0m" }.joined(separator: "\n") + "\ntail"
        let time = Date(timeIntervalSince1970: 0)
        var whole = StepLog(capacity: 1_000)
        _ = whole.append(Data("earlier\n".utf8), stream: 1, at: time)
        let big = whole.append(Data(text.utf8), stream: 1, at: time)
        var pieces = StepLog(capacity: 1_000)
        _ = pieces.append(Data("earlier\n".utf8), stream: 1, at: time)
        var added = 0, lost = 0
        for piece in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let chunk = piece.offset == 2_500 ? String(piece.element) : piece.element + "\n"
            let r = pieces.append(Data(chunk.utf8), stream: 1, at: time)
            added += r.added
            lost += r.dropped
        }
        #expect(big.added == added && big.dropped == lost)
        #expect(whole.endNumber == pieces.endNumber && whole.firstNumber == pieces.firstNumber)
        #expect((whole.firstNumber..<whole.endNumber).map { whole.line($0) } == (pieces.firstNumber..<pieces.endNumber).map { pieces.line($0) })
        #expect(whole.pendingLines == pieces.pendingLines)
    }
}
