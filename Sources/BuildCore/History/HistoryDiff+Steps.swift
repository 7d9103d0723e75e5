import Foundation

/// Which step of A is which step of B.
///
/// A step is its stage plus its instruction text, counted in order when a stage repeats an
/// instruction (two `RUN apt-get update`s are the first and the second). Digests cannot be the
/// key: they change whenever an input does, and a changed input is what a comparison is about.
/// Steps left over on both sides in the same stage at the same position (`[app 2/3]`) are the
/// same step with an edited instruction. What is still left is only in A or only in B.
extension HistoryDiff {
    struct StepKey: Hashable {
        var stage: String
        var instruction: String
        var occurrence: Int
    }

    /// The rows of both builds, paired, in B's order with A's leftovers where A had them.
    static func match(_ a: Recorded, _ b: Recorded) -> [Step] {
        let keysA = keys(a.rows), keysB = keys(b.rows)
        var indexA: [StepKey: Int] = [:]
        for (i, key) in keysA.enumerated() { indexA[key] = i }
        var pairOfB: [Int?] = keysB.map { indexA[$0] }
        var pairedA = Set(pairOfB.compactMap { $0 })
        // Edited instructions: the same stage and position on both sides, both unpaired.
        for (j, row) in b.rows.enumerated() where pairOfB[j] == nil {
            guard let position = position(row.name) else { continue }
            if let i = a.rows.indices.first(where: { i in
                !pairedA.contains(i) && a.rows[i].stage == row.stage && Self.position(a.rows[i].name) == position
            }) {
                pairOfB[j] = i
                pairedA.insert(i)
            }
        }
        var steps: [Step] = []
        var nextA = 0
        func flushA(before end: Int) {
            while nextA < end {
                if !pairedA.contains(nextA) { steps.append(step(a: a.rows[nextA], b: nil, a, b)) }
                nextA += 1
            }
        }
        // Like a unified diff, what only A had comes before what only B has at the same place.
        var nextPaired = Array(repeating: a.rows.count, count: b.rows.count + 1)
        for j in b.rows.indices.reversed() { nextPaired[j] = pairOfB[j] ?? nextPaired[j + 1] }
        for (j, row) in b.rows.enumerated() {
            flushA(before: nextPaired[j])
            if let i = pairOfB[j] {
                steps.append(step(a: a.rows[i], b: row, a, b))
                nextA = max(nextA, i + 1)
            } else {
                steps.append(step(a: nil, b: row, a, b))
            }
        }
        flushA(before: a.rows.count)
        return steps
    }

    private static func keys(_ rows: [StepRow]) -> [StepKey] {
        var seen: [StepKey: Int] = [:]
        return rows.map { row in
            var key = StepKey(stage: row.stage ?? "", instruction: instruction(row.name), occurrence: 0)
            key.occurrence = seen[key, default: 0]
            seen[key, default: 0] += 1
            return key
        }
    }

    /// `[base 2/3] COPY a ./` → `COPY a ./`; names without a step position are kept whole
    /// (`[internal] load build context`).
    static func instruction(_ name: String) -> String {
        guard name.hasPrefix("["), let close = name.firstIndex(of: "]"),
              name[..<close].contains("/") else { return name }
        return name[name.index(after: close)...].trimmingCharacters(in: .whitespaces)
    }

    /// `[base 2/3] …` → `2`.
    static func position(_ name: String) -> Substring? {
        guard name.hasPrefix("["), let close = name.firstIndex(of: "]"),
              let slash = name[..<close].lastIndex(of: "/"),
              let space = name[..<slash].lastIndex(of: " ") else { return nil }
        return name[name.index(after: space)..<slash]
    }

    private static func step(a rowA: StepRow?, b rowB: StepRow?, _ a: Recorded, _ b: Recorded) -> Step {
        let runA = rowA.map(run), runB = rowB.map(run)
        var delta: Double?
        if runA?.duration != nil || runB?.duration != nil {
            delta = (runB.map(spent) ?? 0) - (runA.map(spent) ?? 0)
        }
        var flip: CacheFlip?
        if let runA, let runB {
            if runA.cached, ran(runB) { flip = .hitToMiss }
            if runB.cached, ran(runA) { flip = .missToHit }
        }
        let files: [FileChange]
        if let rowA, let rowB, let readA = a.context[rowA.digest], let readB = b.context[rowB.digest] {
            files = changedFiles(readA, readB)
        } else {
            files = []
        }
        let name = (rowB ?? rowA)?.name ?? ""
        return Step(stage: (rowB ?? rowA)?.stage, instruction: instruction(name), a: runA, b: runB, delta: delta, flip: flip,
                    newFailure: runB?.status == .failed && runA?.status != .failed,
                    instructionChanged: rowA != nil && rowB != nil && instruction(rowA?.name ?? "") != instruction(name),
                    changedFiles: files)
    }

    private static func run(_ row: StepRow) -> StepRun {
        StepRun(name: row.name, digest: row.digest, status: row.status, cached: row.cached, duration: row.duration,
                missReason: row.missReason, error: row.error)
    }

    /// Time a run cost: a cache hit costs nothing whatever its record says.
    private static func spent(_ run: StepRun) -> Double {
        run.cached ? 0 : run.duration ?? 0
    }

    /// It was executed rather than served by the cache.
    private static func ran(_ run: StepRun) -> Bool {
        !run.cached && run.status != .notStarted
    }

    /// Files that differ between the same selections of A and B. Selections only one side read
    /// belong to an edited instruction, which the step already shows.
    static func changedFiles(_ a: [ReadSelection], _ b: [ReadSelection]) -> [FileChange] {
        var out: [FileChange] = []
        for selB in b {
            guard let selA = a.first(where: { $0.selection == selB.selection }), selA.digest != selB.digest else { continue }
            guard let filesA = selA.files, let filesB = selB.files else {
                out.append(FileChange(path: selB.selection, kind: .selection))
                continue
            }
            for path in Set(filesA.keys).union(filesB.keys).sorted() {
                switch (filesA[path], filesB[path]) {
                case (nil, _?): out.append(FileChange(path: path, kind: .added))
                case (_?, nil): out.append(FileChange(path: path, kind: .removed))
                case let (old?, new?) where old != new: out.append(FileChange(path: path, kind: .modified))
                default: break
                }
            }
        }
        return out
    }
}
