import BuildCore
import Foundation

/// Lines of a step's log read back from the build's events, for when the user scrolls above
/// what the dashboard keeps in memory (the newest `LogLimits.perStep` lines of a step).
///
/// Read-back lines are numbered exactly as the live log numbered them, because they are cut by
/// the same `StepLog` from the same events in the same order: only what a step's log is fed
/// (its output, its warnings, its end and the build's) decides the numbering.
public struct ReadBackLines: Sendable, Equatable {
    var digest: Digest
    /// Number of `lines[0]`.
    var first: Int
    var lines: [StepLog.Line]
    /// The record could not be read at all: the pane falls back to saying lines were dropped.
    var unavailable = false

    var end: Int { first + lines.count }

    func line(_ number: Int) -> StepLog.Line? {
        number >= first && number < end ? lines[number - first] : nil
    }
}

enum LogReadBack {
    /// Lines read back around a view: this many before and after what it shows.
    static let margin = 1_000

    /// What `event` does to the log of step `digest`, applied to `log`; false when nothing.
    @discardableResult
    static func feed(_ event: BuildEvent, for digest: Digest, into log: inout StepLog) -> Bool {
        switch event.kind {
        case .log(let chunk) where chunk.digest == digest:
            log.append(chunk.data, stream: chunk.stream, at: event.time)
        case .warning(let warning) where warning.digest == digest:
            log.appendNote("WARN: " + warning.message, at: event.time, warning: true)
        case .vertexCompleted(let completion) where completion.digest == digest:
            log.flush()
        case .buildFinished:
            log.flush()
        default:
            return false
        }
        return true
    }

    /// A log that keeps nothing but its numbering and unfinished lines between events: the
    /// reader takes the lines it wants after each event, then lets them all go.
    static func emptyLog() -> StepLog { StepLog(capacity: 1 << 40) }

    /// Takes the committed lines of `log` that fall in `range` into `out`, then empties it.
    static func collect(_ log: inout StepLog, in range: Range<Int>, into out: inout [StepLog.Line]) {
        let from = max(range.lowerBound, log.firstNumber), to = min(range.upperBound, log.endNumber)
        if from < to {
            for n in from..<to { if let line = log.line(n) { out.append(line) } }
        }
        log.dropOldest(log.count)
    }

    /// Lines `range` of step `digest`, reading the build's events in order with `forEach` (which
    /// stops when its body returns false), from the start or from a log state `start` taken
    /// part way (a checkpoint).
    static func lines(of digest: Digest, in range: Range<Int>, startingWith start: StepLog = emptyLog(),
                      forEach: ((BuildEvent) -> Bool) -> Void) -> ReadBackLines {
        var log = start
        var out: [StepLog.Line] = []
        forEach { event in
            guard feed(event, for: digest, into: &log) else { return true }
            collect(&log, in: range, into: &out)
            return log.endNumber < range.upperBound
        }
        return ReadBackLines(digest: digest, first: range.lowerBound, lines: out)
    }
}

/// The lines before `below` of a step that match a search, found in the build's events.
public struct OlderMatches: Sendable, Equatable {
    var digest: Digest
    var query: String
    var below: Int
    /// Ascending line numbers; at most `LogReadBack.maxMatches` (the last ones).
    var numbers: [Int]
}

extension LogReadBack {
    /// Matches kept from one search of the lines on disk (the nearest ones, the last).
    static let maxMatches = 100_000

    /// The numbers of step `digest`'s lines before `below` that `query` matches, reading the
    /// build's events in order with `forEach` from a log state `start` (a checkpoint).
    static func matches(of digest: Digest, query: String, below: Int, startingWith start: StepLog = emptyLog(),
                        forEach: ((BuildEvent) -> Bool) -> Void) -> OlderMatches {
        var found: [Int] = []
        guard let pattern = SearchPattern(query) else { return OlderMatches(digest: digest, query: query, below: below, numbers: []) }
        var log = start
        forEach { event in
            let before = log.endNumber
            guard feed(event, for: digest, into: &log) else { return true }
            for n in max(before, log.firstNumber)..<min(below, log.endNumber) {
                if let line = log.line(n), pattern.matches(line.text) { found.append(n) }
            }
            if found.count > 2 * maxMatches { found.removeFirst(found.count - maxMatches) }
            log.dropOldest(log.count)
            return log.endNumber < below
        }
        return OlderMatches(digest: digest, query: query, below: below, numbers: Array(found.suffix(maxMatches)))
    }
}

extension DashboardState {
    /// After a search is entered: when the step has lines only on disk, they are searched too.
    mutating func searchOlderLines() -> [DashboardEffect] {
        guard canReadBack, let selected, let step = step(selected), step.log.firstNumber > 0 else { return [] }
        return [.searchLog(selected, query: log.query, below: step.log.firstNumber)]
    }

    /// Matches found on disk join those in memory (if the search and the step are still current).
    /// With no match in memory, the nearest one on disk is shown, as a search in memory would.
    mutating func receive(_ older: OlderMatches) {
        guard older.digest == selected, older.query == log.query else { return }
        let kept = log.matches.filter { $0 >= older.below }
        let currentLine = log.current.flatMap { $0 < log.matches.count ? log.matches[$0] : nil }
        log.matches = older.numbers + kept
        log.current = currentLine.flatMap { line in log.matches.firstIndex(of: line) }
        if log.matches.isEmpty {
            flash = "pattern not found: " + log.query
        } else if log.current == nil, kept.isEmpty {
            log.current = older.numbers.count - 1
            flash = nil
            showCurrentMatch()
        }
    }

    /// The first line number the log pane can show: 0 when older lines can be read back.
    func firstReadableLine(of step: Step) -> Int { canReadBack ? 0 : step.log.firstNumber }

    /// Asks for older lines when the log pane shows, or is about to show, lines above what the
    /// step keeps and the last read-back window does not cover them.
    mutating func readBackIfNeeded() -> [DashboardEffect] {
        guard canReadBack, !log.follow, let selected, let step = step(selected) else { return [] }
        let kept = step.log.firstNumber
        guard log.top < kept else { return [] }
        let rows = logViewport.rows
        let wanted = log.top..<min(kept, log.top + rows)
        // Read again only when a screenful above or below the view is not covered, by what was
        // read or by what is on its way.
        func covers(_ r: Range<Int>) -> Bool {
            r.lowerBound <= max(0, wanted.lowerBound - rows) && r.upperBound >= min(kept, wanted.upperBound + rows)
        }
        if let older = log.older, older.digest == selected, covers(older.first..<older.end) { return [] }
        if let requested = log.requested, requested.digest == selected, covers(requested.range) { return [] }
        let range = max(0, log.top - LogReadBack.margin)..<min(kept, log.top + rows + LogReadBack.margin)
        log.requested = LogViewState.Request(digest: selected, range: range)
        return [.readLog(selected, range)]
    }

    /// On the clock: a short read is retried once its second has passed.
    mutating func retryReadBack(at date: Date) -> [DashboardEffect] {
        guard let retryAt = log.retryAt, date >= retryAt else { return [] }
        log.retryAt = nil
        return readBackIfNeeded()
    }

    /// Read-back lines arrived; kept if they are for the step still selected.
    mutating func receive(_ lines: ReadBackLines) {
        if lines.unavailable {
            canReadBack = false
            log.older = nil
            log.requested = nil
            if let selected, let step = step(selected) { log.top = max(log.top, step.log.firstNumber) }
            return
        }
        guard lines.digest == selected else { return }
        log.older = lines
        if let requested = log.requested, requested.digest == lines.digest {
            // Short: the record has not caught up with these lines yet; ask again in a second.
            log.retryAt = lines.end < requested.range.upperBound ? (now ?? lastEventTime ?? Date()).addingTimeInterval(1) : nil
            log.requested = nil
        }
    }
}
