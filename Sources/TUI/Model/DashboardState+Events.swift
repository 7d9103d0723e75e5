import BuildCore
import Foundation

/// How build events change the state. Every event is accepted in any order: logs before the
/// plan, vertices no plan announced, a vertex started several times, completions of vertices
/// that never started, events after `buildFinished` (a late warning).
extension DashboardState {
    /// A batch of events, as a terminal loop takes them between frames. Output that later output
    /// of the same step in the batch will push out of the step's log anyway is only counted, not
    /// cut into stored lines: a flooding step costs a newline count per chunk.
    mutating func handle(batch: [BuildEvent]) {
        var newlines: [Int] = []
        var remaining: [Digest: Int] = [:]
        var flooding = false
        if batch.count > 1 {
            newlines.reserveCapacity(batch.count)
            for event in batch {
                guard case .log(let chunk) = event.kind else { newlines.append(0); continue }
                let n = chunk.data.occurrences(of: 0x0A)
                newlines.append(n)
                remaining[chunk.digest, default: 0] += n
                if remaining[chunk.digest, default: 0] > limits.perStep { flooding = true }
            }
        }
        // Near the cap on all steps' lines, one by one: which step gives lines up to the cap
        // depends on the counts along the way.
        if flooding, totalLogLines + remaining.values.reduce(0, +) > limits.total { flooding = false }
        guard flooding else {
            for event in batch { handle(event) }
            return
        }
        for (i, event) in batch.enumerated() {
            if case .log(let chunk) = event.kind, let left = remaining[chunk.digest] {
                let after = left - newlines[i]
                remaining[chunk.digest] = after
                // At least `perStep` lines of this step follow (each newline commits one line).
                // A step being searched is cut line by line: its new lines are matched as they come.
                let searched = chunk.digest == selected && !log.query.isEmpty
                handle(event, discarding: after >= limits.perStep && !searched)
            } else {
                handle(event)
            }
        }
    }


    mutating func handle(_ event: BuildEvent, discarding: Bool = false) {
        lastEventTime = max(lastEventTime ?? event.time, event.time)
        let time = event.time
        switch event.kind {
        case .buildStarted(let start):
            build = start
            startTime = time
            dockerfileLines = start.dockerfileText.split(separator: "\n", omittingEmptySubsequences: false)
                .map { TerminalText.clean(Array($0.utf8)[...]) }
        case .plan(let vertices):
            for vertex in vertices { plan(vertex) }
        case .vertexStarted(let digest):
            if startTime == nil { startTime = time }
            let i = ensureStep(digest)
            steps[i].start(at: time)
            if !selectionPinned, !selectionIsLive { select(digest, pin: false) }
        case .vertexCompleted(let completion):
            let i = ensureStep(completion.digest)
            steps[i].complete(completion, at: time)
            let flushed = steps[i].log.flush()
            account(i, added: flushed.added, dropped: flushed.dropped, before: steps[i].log.endNumber - flushed.added)
            if steps[i].status == .failed { select(completion.digest, pin: true) }
        case .cacheMiss(let miss):
            steps[ensureStep(miss.digest)].missReason = miss.reason
        case .log(let chunk):
            let i = ensureStep(chunk.digest)
            let before = steps[i].log.endNumber
            let r = steps[i].log.append(chunk.data, stream: chunk.stream, at: time, discarding: discarding)
            account(i, added: r.added, dropped: r.dropped, before: before)
            if !selectionPinned {
                let current = steps[i].digest == selected ? i : selectedIndex
                if current.map({ steps[$0].status != .running || steps[$0].log.isEmpty }) ?? true { select(chunk.digest, pin: false) }
            }
        case .progress(let update):
            steps[ensureStep(update.digest)].update(update)
        case .warning(let warning):
            warningCount += 1
            if let line = warning.line, lineWarnings[line, default: []].count < 8 {
                lineWarnings[line, default: []].append(warning.message)
            }
            if let digest = warning.digest {
                let i = ensureStep(digest)
                let before = steps[i].log.endNumber
                let lost = steps[i].log.appendNote("WARN: " + warning.message, at: time, warning: true)
                account(i, added: 1, dropped: lost, before: before)
            } else {
                // Kept for the record, bounded like the logs: a flood only moves the count.
                if warnings.count >= Self.maxWarnings { warnings.removeFirst() }
                warnings.append(warning)
            }
        case .buildFinished(let finish):
            result = finish
            finishTime = time
            status = BuildStatus(finish.status)
            finished = true
            confirmingQuit = false
            for i in steps.indices {
                let before = steps[i].log.endNumber
                let flushed = steps[i].log.flush()
                account(i, added: flushed.added, dropped: flushed.dropped, before: before)
                steps[i].stop(at: time, buildSucceeded: finish.status == .succeeded)
            }
            if finish.status == .failed, selectedFailure == nil, let failed = firstFailure {
                select(failed, pin: true)
            }
        }
    }

    /// The index of the step for `digest`, creating it (named by its digest) when unknown.
    mutating func ensureStep(_ digest: Digest) -> Int {
        if let i = stepIndex[digest] { return i }
        steps.append(Step(digest: digest, creation: steps.count, logCapacity: limits.perStep))
        stepIndex[digest] = steps.count - 1
        return steps.count - 1
    }

    /// Names a vertex. Plans may repeat, arrive in parts (BuildKit's rawjson) or come after the
    /// vertex's first log; a vertex keeps the place of its first plan.
    private mutating func plan(_ vertex: PlannedVertex) {
        let i = ensureStep(vertex.digest)
        steps[i].name = vertex.name
        steps[i].stage = vertex.stage ?? steps[i].stage
        steps[i].inputs = vertex.inputs
        steps[i].startLine = vertex.startLine ?? steps[i].startLine
        steps[i].endLine = vertex.endLine ?? steps[i].endLine
        if steps[i].planRank == nil {
            steps[i].planRank = nextPlanRank
            nextPlanRank += 1
        }
    }

    /// Books lines added to (and dropped from) step `i`'s log: the global cap, and search
    /// matches when it is the selected step. `before` is its `endNumber` before the change.
    private mutating func account(_ i: Int, added: Int, dropped: Int, before: Int) {
        totalLogLines += added - dropped
        if totalLogLines > limits.total { enforceTotalLimit() }
        guard steps[i].digest == selected else { return }
        let log = steps[i].log
        if added > 0, let pattern = SearchPattern(self.log.query) {
            for number in max(before, log.firstNumber)..<log.endNumber {
                if let line = log.line(number), pattern.matches(line.text) { self.log.matches.append(number) }
            }
        }
        pruneMatches(first: log.firstNumber)
    }

    /// Drops the oldest lines of the step holding the most until the total fits, in batches of
    /// 1% of the cap so a flood does not rescan the steps for every line.
    private mutating func enforceTotalLimit() {
        while totalLogLines > limits.total {
            guard let i = steps.indices.max(by: { steps[$0].log.count < steps[$1].log.count }),
                  steps[i].log.count > 0 else { return }
            let n = min(steps[i].log.count, max(totalLogLines - limits.total, limits.total / 100))
            steps[i].log.dropOldest(n)
            totalLogLines -= n
            if steps[i].digest == selected { pruneMatches(first: steps[i].log.firstNumber) }
        }
    }

    /// Forgets matches on lines that were dropped, keeping the current match on its line.
    mutating func pruneMatches(first: Int) {
        // Lines that can be read back keep their matches, the newest `maxMatches` of them.
        let gone = canReadBack ? max(0, log.matches.count - LogReadBack.maxMatches) : log.matches.prefix { $0 < first }.count
        guard gone > 0 else { return }
        log.matches.removeFirst(gone)
        if let current = log.current {
            log.current = current >= gone ? current - gone : nil
        }
    }

    /// Whether the selection shows a running step: until the user picks one, the selection
    /// moves to a step that starts or prints only when the current one is not running (or a
    /// running one has printed nothing), so two steps printing at once do not make it flicker.
    private var selectionIsLive: Bool {
        selectedIndex.map { steps[$0].status == .running } ?? false
    }

    /// Where the selected step is in `steps` (looked up without copying the step).
    private var selectedIndex: Int? {
        selected.flatMap { stepIndex[$0] }
    }

    /// Selects a step; a new selection shows its log from the end.
    mutating func select(_ digest: Digest?, pin: Bool) {
        if pin { selectionPinned = true }
        guard digest != selected else { return }
        selected = digest
        log.reset()
        recomputeMatches()
    }

    /// Finds every line of the selected step that contains the query.
    mutating func recomputeMatches() {
        log.matches = []
        log.current = nil
        guard let pattern = SearchPattern(log.query), let selected, let step = step(selected) else { return }
        for number in step.log.firstNumber..<step.log.endNumber {
            if let line = step.log.line(number), pattern.matches(line.text) { log.matches.append(number) }
        }
    }
}
