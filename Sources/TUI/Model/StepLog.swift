import Foundation

/// One step's output as lines, bounded in memory.
///
/// Lines are numbered from 0 in arrival order, for the life of the step. Only the newest
/// `capacity` lines are kept; older ones are counted in `dropped`, so line number `dropped` is
/// the oldest kept and numbers stay stable while old lines go (a scroll position or a search
/// match refers to a line by its number, never by its place in the buffer).
///
/// Bytes are cut into lines at `\n`, per stream (stdout and stderr are held apart, as the plain
/// printer does). The unfinished tail of each stream is held as a pending line that the log
/// pane shows live; a carriage return followed by more output discards what it overwrote, so a
/// progress bar that never prints `\n` costs one short pending line, not its whole history.
struct StepLog: Sendable {
    struct Line: Sendable, Equatable {
        /// Visible text (see `TerminalText`): no control characters, one cell per `Character`.
        var text: String
        /// `text.count`, measured once so wrapping visible lines costs no recount.
        var length: Int
        /// When its first byte arrived.
        var time: Date
        var stream: Int
        var isWarning = false
    }

    private struct Pending: Sendable {
        var bytes: [UInt8]
        var time: Date
    }

    /// A pending line longer than this is committed as it is (a binary dump, a 10 MB JSON line).
    static let maxLineBytes = 16_384

    private(set) var lines: LogRing<Line>
    /// Lines pushed out of the ring (by its capacity or by the dashboard's global cap).
    private(set) var dropped = 0
    private var pending: [Int: Pending] = [:]

    init(capacity: Int) {
        lines = LogRing(capacity: capacity)
    }

    /// Number of the oldest kept line.
    var firstNumber: Int { dropped }
    /// One past the number of the newest committed line.
    var endNumber: Int { dropped + lines.count }
    var count: Int { lines.count }

    /// The committed line numbered `number`, or nil when dropped or not yet written.
    func line(_ number: Int) -> Line? { lines[number - dropped] }

    /// The unfinished lines, stdout before stderr, as they would look now.
    var pendingLines: [Line] {
        pending.keys.sorted().compactMap { stream in
            guard let p = pending[stream] else { return nil }
            let line = p.bytes.withUnsafeBufferPointer { TerminalText.visibleLine($0) }
            return line.length == 0 ? nil : Line(text: line.text, length: line.length, time: p.time, stream: stream)
        }
    }

    /// No output at all yet, committed or pending.
    var isEmpty: Bool { lines.isEmpty && dropped == 0 && pending.isEmpty }

    /// Adds output; returns how many lines were committed and how many old ones were dropped.
    ///
    /// A line that arrives whole (nothing pending on its stream) is cleaned straight from the
    /// chunk; only an unfinished tail is copied into the pending line.
    ///
    /// `discarding`: the caller knows at least `capacity` lines follow (later output of the same
    /// batch), so every line kept now would be pushed out before anyone looks. The lines are cut
    /// and numbered exactly as usual, but only counted; the ring is emptied.
    @discardableResult
    mutating func append(_ data: Data, stream: Int, at time: Date, discarding: Bool = false) -> (added: Int, dropped: Int) {
        if discarding {
            let kept = lines.count
            let r = appendCutting(data, stream: stream, at: time, discarding: true)
            dropOldest(kept)
            return (r.added, kept + r.dropped)
        }
        return appendCutting(data, stream: stream, at: time, discarding: false)
    }


    private mutating func appendCutting(_ data: Data, stream: Int, at time: Date, discarding: Bool) -> (added: Int, dropped: Int) {
        var added = 0, lost = 0
        var current = pending.removeValue(forKey: stream) ?? Pending(bytes: [], time: time)
        if current.bytes.isEmpty { current.time = time }
        data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 0
            if current.bytes.isEmpty, !discarding {
                // A flood: lines that later lines of this same chunk would push out of the ring
                // are counted, not cleaned and stored.
                let skipped = Self.skippable(bytes, keeping: lines.capacity)
                if skipped.lines > 0 {
                    lost += lines.count + skipped.lines
                    added += skipped.lines
                    dropOldest(lines.count)
                    dropped += skipped.lines
                    i = skipped.offset
                }
            }
            while i < bytes.count {
                let newline = bytes[i...].firstIndex(of: UInt8(ascii: "\n"))
                let end = newline ?? bytes.count
                let segment = UnsafeBufferPointer(rebasing: bytes[i..<end])
                if current.bytes.count + segment.count < Self.maxLineBytes {
                    // Short of the cut length, nothing below can trigger: take the run at once.
                    if newline != nil, current.bytes.isEmpty {
                        let r = commit(segment, stream: stream, time: current.time, discarding: discarding)
                        added += r.added; lost += r.dropped
                    } else {
                        current.bytes.append(contentsOf: segment)
                        if newline != nil {
                            let r = current.bytes.withUnsafeBufferPointer { commit($0, stream: stream, time: current.time, discarding: discarding) }
                            added += r.added; lost += r.dropped
                        }
                    }
                } else {
                    for byte in segment {
                        current.bytes.append(byte)
                        if current.bytes.count >= Self.maxLineBytes, let cut = TerminalText.overwrittenPrefix(current.bytes) {
                            // A progress bar redrawn many times in one chunk: forget what it overwrote first.
                            current.bytes.removeFirst(cut)
                        }
                        if current.bytes.count >= Self.maxLineBytes {
                            let cut = Self.characterBoundary(current.bytes)
                            let r = current.bytes.withUnsafeBufferPointer {
                                commit(UnsafeBufferPointer(rebasing: $0[..<cut]), stream: stream, time: current.time, discarding: discarding)
                            }
                            added += r.added; lost += r.dropped
                            current = Pending(bytes: Array(current.bytes[cut...]), time: time)
                        }
                    }
                    if newline != nil {
                        let r = current.bytes.withUnsafeBufferPointer { commit($0, stream: stream, time: current.time, discarding: discarding) }
                        added += r.added; lost += r.dropped
                    }
                }
                if newline != nil { current = Pending(bytes: [], time: time) }
                i = end + 1
            }
        }
        if let cut = TerminalText.overwrittenPrefix(current.bytes) {
            current.bytes.removeFirst(cut)
        }
        if !current.bytes.isEmpty { pending[stream] = current }
        return (added, lost)
    }

    /// Adds one already-visible line (a warning the dashboard writes into the step's log).
    @discardableResult
    mutating func appendNote(_ text: String, at time: Date, warning: Bool) -> Int {
        let clean = Array(text.utf8).withUnsafeBufferPointer { TerminalText.measuredClean($0) }
        let evicted = lines.append(Line(text: clean.text, length: clean.length, time: time, stream: 2, isWarning: warning))
        if evicted { dropped += 1 }
        return evicted ? 1 : 0
    }

    /// Commits every pending line (the step ended: its last line has no `\n` coming).
    @discardableResult
    mutating func flush() -> (added: Int, dropped: Int) {
        var added = 0, lost = 0
        for stream in pending.keys.sorted() {
            guard let p = pending.removeValue(forKey: stream) else { continue }
            let r = p.bytes.withUnsafeBufferPointer { commit($0, stream: stream, time: p.time) }
            added += r.added; lost += r.dropped
        }
        return (added, lost)
    }

    /// Drops the `n` oldest lines (the dashboard's global cap).
    mutating func dropOldest(_ n: Int) {
        let n = min(max(0, n), lines.count)
        lines.removeFirst(n)
        dropped += n
    }

    private mutating func commit(_ bytes: UnsafeBufferPointer<UInt8>, stream: Int, time: Date,
                                 discarding: Bool = false) -> (added: Int, dropped: Int) {
        if discarding {
            // Counted as committed and gone at once.
            dropped += 1
            return (1, 1)
        }
        let line = TerminalText.visibleLine(bytes)
        let evicted = lines.append(Line(text: line.text, length: line.length, time: time, stream: stream))
        if evicted { dropped += 1 }
        return (1, evicted ? 1 : 0)
    }

    /// How many leading whole lines of `bytes` can be skipped because at least `capacity` whole
    /// lines follow them, and the offset just past them. Only short lines count (a line over
    /// `maxLineBytes` would be committed in pieces), so skipping changes nothing but the work.
    static func skippable(_ bytes: UnsafeBufferPointer<UInt8>, keeping capacity: Int) -> (lines: Int, offset: Int) {
        // More lines than `capacity` take more bytes than that: most chunks end here.
        guard bytes.count > capacity else { return (0, 0) }
        var ends: [Int] = []
        var start = 0
        var i = 0
        while i < bytes.count {
            guard let newline = bytes[i...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            if newline - start >= maxLineBytes { return (0, 0) }
            ends.append(newline + 1)
            start = newline + 1
            i = newline + 1
        }
        let skip = ends.count - capacity
        guard skip > 0 else { return (0, 0) }
        return (skip, ends[skip - 1])
    }

    /// Where to cut `bytes` without splitting a UTF-8 sequence at the end: before an
    /// incomplete last character, else at the end.
    private static func characterBoundary(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var p = n - 1
        while p > 0, p > n - 4, bytes[p] & 0xC0 == 0x80 { p -= 1 }
        guard p > 0 else { return n }
        let lead = bytes[p]
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return p + length > n ? p : n
    }
}
