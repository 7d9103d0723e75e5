import Foundation

/// Two recorded builds side by side (`history diff A B`, `c` twice on the home screen): per step,
/// the time it took in each, the cache hits that became misses (and why), new failures; for the
/// whole build, the build args, context files and base images that changed, and one line saying
/// why B took longer (or less) than A.
///
/// Everything comes from the two records, so it works on any pair, of any Dockerfiles. Steps are
/// matched by stage and instruction text, never by digest: a digest changes exactly when an
/// input changes, which is what the comparison is meant to show (see `HistoryDiff+Steps`).
public struct HistoryDiff: Sendable, Codable, Equatable {
    /// One of the two builds, as its record summarises it.
    public struct Build: Sendable, Codable, Equatable {
        public var id: String
        public var status: BuildSummary.Status
        public var started: Date
        public var duration: Double
        public var steps: Int
        public var cachedSteps: Int
        public var error: String?

        init(_ summary: BuildSummary) {
            id = summary.id
            status = summary.status
            started = summary.started
            duration = summary.duration
            steps = summary.steps
            cachedSteps = summary.cachedSteps
            error = summary.error
        }
    }

    /// A named value that differs between A and B (a build arg, a base image's digest); nil
    /// where the build did not have it.
    public struct Change: Sendable, Codable, Equatable {
        public var name: String
        public var old: String?
        public var new: String?

        public init(name: String, old: String?, new: String?) {
            self.name = name
            self.old = old
            self.new = new
        }
    }

    /// A build context file that a step of both builds read and that differs between them.
    public struct FileChange: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable {
            case added, removed, modified
            /// Something under a selection too large to list per file changed (see `ReadSelection`).
            case selection
        }

        /// The path in the context (for `.selection`, the selection as the step named it).
        public var path: String
        public var kind: Kind

        public init(path: String, kind: Kind) {
            self.path = path
            self.kind = kind
        }
    }

    /// The cache decision that turned around between A and B.
    public enum CacheFlip: String, Sendable, Codable {
        case hitToMiss, missToHit
    }

    /// A step as one build ran it.
    public struct StepRun: Sendable, Codable, Equatable {
        /// The step's full name in that build (`[base 2/3] COPY a ./`).
        public var name: String
        public var digest: Digest
        public var status: StepRow.Status
        public var cached: Bool
        /// Seconds; nil when it never ended.
        public var duration: Double?
        public var missReason: String?
        public var error: String?
    }

    /// One step of either build: in both, only in A (`b` nil) or only in B (`a` nil).
    public struct Step: Sendable, Codable, Equatable {
        /// Its stage (nil for internal steps such as loading the context).
        public var stage: String?
        /// The instruction without the `[stage n/m]` prefix, as B wrote it (A when only in A).
        public var instruction: String
        public var a: StepRun?
        public var b: StepRun?
        /// Seconds B spent on it minus A's (a cache hit counts as 0; a step missing from one
        /// build counts as 0 there); nil when neither run ended.
        public var delta: Double?
        public var flip: CacheFlip?
        /// B failed here and A did not.
        public var newFailure: Bool
        /// Matched by position because its instruction was edited (A's text is `a.name`).
        public var instructionChanged: Bool
        /// Context files this step read that differ between the builds.
        public var changedFiles: [FileChange]
    }

    public var a: Build
    public var b: Build
    /// B's duration minus A's, in seconds.
    public var delta: Double
    /// The one line at the top: how much longer (or shorter) B took, and why.
    public var summary: String
    public var buildArgs: [Change]
    public var baseImages: [Change]
    /// Context files that differ, over all steps (each path once).
    public var contextFiles: [FileChange]
    public var dockerfileChanged: Bool
    /// What could not be compared, and other caveats, as sentences.
    public var notes: [String]
    public var steps: [Step]

    /// The comparison of record `a` (the baseline) with record `b`, from their events (log and
    /// progress events may be left out: they are not used).
    public init(a idA: String, events eventsA: [BuildEvent], b idB: String, events eventsB: [BuildEvent]) {
        let recordA = Recorded(events: eventsA), recordB = Recorded(events: eventsB)
        a = Build(BuildSummary(id: idA, events: eventsA))
        b = Build(BuildSummary(id: idB, events: eventsB))
        delta = b.duration - a.duration
        buildArgs = Self.argChanges(recordA.start?.buildArgs ?? [:], recordB.start?.buildArgs ?? [:])
        dockerfileChanged = recordA.start != nil && recordB.start != nil
            && recordA.start?.dockerfileText != recordB.start?.dockerfileText
        notes = []
        steps = Self.match(recordA, recordB)
        baseImages = Self.baseImageChanges(steps, recordA, recordB)
        var seen: Set<String> = []
        contextFiles = steps.flatMap(\.changedFiles).filter { seen.insert($0.path).inserted }
        if recordA.hasContent != recordB.hasContent {
            let older = recordA.hasContent ? "B" : "A"
            notes.append("context files and base images were not compared: \(older)'s record holds no per-step checksums (it predates them)")
        }
        if recordA.start?.noCache != recordB.start?.noCache, let noCache = recordB.start?.noCache {
            notes.append(noCache ? "B was built with --no-cache" : "A was built with --no-cache")
        }
        summary = ""
        summary = headline(noCacheB: recordB.start?.noCache ?? false)
    }

    /// The comparison of the builds `a` and `b` name (ids or unique prefixes) on `host`: what
    /// `history diff` and the home screen show. Logs are skipped undecoded.
    public static func compare(_ a: String, _ b: String, on host: any BuildHost) throws -> HistoryDiff {
        let recordA = try host.record(a), recordB = try host.record(b)
        let skipped: Set<String> = ["log", "progress"]
        return HistoryDiff(a: recordA.id, events: BuildRecord.decode(recordA.data, skipping: skipped).events,
                           b: recordB.id, events: BuildRecord.decode(recordB.data, skipping: skipped).events)
    }

    /// Pretty JSON with sorted keys and RFC 3339 dates (`history diff --format json`).
    public func json() throws -> String {
        let encoder = BuildRecord.makeEncoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func argChanges(_ old: [String: String], _ new: [String: String]) -> [Change] {
        Set(old.keys).union(new.keys).sorted().compactMap { name in
            old[name] == new[name] ? nil : Change(name: name, old: old[name], new: new[name])
        }
    }

    /// FROM steps of both builds whose image resolved to different digests.
    static func baseImageChanges(_ steps: [Step], _ a: Recorded, _ b: Recorded) -> [Change] {
        steps.compactMap { step in
            guard let runA = step.a, let runB = step.b,
                  let old = a.imageDigests[runA.digest], let new = b.imageDigests[runB.digest], old != new else { return nil }
            return Change(name: Self.imageReference(step.instruction), old: old, new: new)
        }
    }

    /// `FROM --platform=x ref AS name` → `ref`.
    static func imageReference(_ instruction: String) -> String {
        let words = instruction.split(separator: " ").filter { !$0.hasPrefix("--") }
        return words.count > 1 ? String(words[1]) : instruction
    }
}

extension HistoryDiff {
    /// What the diff needs of one record beyond its step rows.
    struct Recorded {
        var start: BuildStart?
        var rows: [StepRow]
        /// By step: what each step read from contexts, and what each FROM resolved to.
        var context: [Digest: [ReadSelection]] = [:]
        var imageDigests: [Digest: String] = [:]

        init(events: [BuildEvent]) {
            rows = StepRow.rows(from: events)
            for event in events {
                switch event.kind {
                case .buildStarted(let s) where start == nil:
                    start = s
                case .vertexCompleted(let c):
                    if let read = c.context { context[c.digest] = read }
                    if let digest = c.imageDigest { imageDigests[c.digest] = digest }
                default:
                    break
                }
            }
        }

        /// Whether the record keeps per-step checksums at all (records before them do not).
        var hasContent: Bool { !context.isEmpty || !imageDigests.isEmpty }
    }
}
