import Foundation

/// One thing that happened in a build. Events are the single seam between the engine and every
/// front end (dashboard, plain/rawjson printers, build records, attach socket): small, `Sendable`,
/// `Codable`, and enough to reproduce any screen of a build from its record alone.
///
/// They map onto BuildKit's `SolveStatus` (vertexes, statuses, logs, warnings) without loss, so
/// `--progress=rawjson` can be BuildKit's format and BuildKit's rawjson can be replayed.
public struct BuildEvent: Sendable, Codable, Equatable {
    public var time: Date
    public var kind: Kind

    public init(time: Date = Date(), _ kind: Kind) {
        self.time = time
        self.kind = kind
    }

    /// The payloads larger than a log chunk are `indirect` (boxed): a replay holds millions of
    /// events, nearly all logs, and an inline enum is as large as its largest case.
    public enum Kind: Sendable, Codable, Equatable {
        indirect case buildStarted(BuildStart)
        /// Every vertex the build will show, in topological order, before any runs.
        case plan([PlannedVertex])
        case vertexStarted(Digest)
        indirect case vertexCompleted(VertexCompletion)
        /// A step the cache could not serve, and why, told as soon as the solver knows (before
        /// the step runs), so a viewer shows the reason while it runs and when it fails.
        indirect case cacheMiss(CacheMiss)
        case log(LogChunk)
        indirect case progress(ProgressUpdate)
        indirect case warning(BuildWarning)
        indirect case buildFinished(BuildFinish)
    }
}

/// The request, as the user gave it (never a secret's value).
public struct BuildStart: Sendable, Codable, Equatable {
    public var buildID: String
    public var contextPath: String
    public var dockerfilePath: String
    public var dockerfileText: String
    public var target: String?
    public var buildArgs: [String: String]
    public var tags: [String]
    public var platform: String
    public var noCache: Bool

    public init(buildID: String, contextPath: String, dockerfilePath: String, dockerfileText: String, target: String?,
                buildArgs: [String: String], tags: [String], platform: String, noCache: Bool) {
        self.buildID = buildID
        self.contextPath = contextPath
        self.dockerfilePath = dockerfilePath
        self.dockerfileText = dockerfileText
        self.target = target
        self.buildArgs = buildArgs
        self.tags = tags
        self.platform = platform
        self.noCache = noCache
    }
}

/// A vertex as the progress display knows it.
public struct PlannedVertex: Sendable, Codable, Equatable {
    public var digest: Digest
    public var name: String
    public var inputs: [Digest]
    /// Stage name (`stage-N` for unnamed stages), nil for shared internal vertices.
    public var stage: String?
    /// Dockerfile line range, when the vertex comes from an instruction.
    public var startLine: Int?
    public var endLine: Int?

    public init(digest: Digest, name: String, inputs: [Digest], stage: String?, startLine: Int?, endLine: Int?) {
        self.digest = digest
        self.name = name
        self.inputs = inputs
        self.stage = stage
        self.startLine = startLine
        self.endLine = endLine
    }
}

/// How a vertex ended.
public struct VertexCompletion: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case done, cached, failed, canceled }

    public var digest: Digest
    public var status: Status
    /// Time spent running (zero for cache hits).
    public var duration: Double
    /// Why it ran instead of coming from the cache (nil for hits and for vertices never cached).
    public var missReason: String?
    /// For failures: the message shown to the user.
    public var error: String?
    /// For a step that made (or took from the cache) a filesystem: its layers in the local
    /// store, bottom first; the last is the step's own. The layer explorer opens these.
    public var layers: [String]?
    /// What the step read from build contexts (COPY sources, bind mounts), so that two builds'
    /// records can say which files changed between them (`history diff`). Nil when it read none,
    /// and in records written before it was kept.
    public var context: [ReadSelection]?
    /// For a `FROM` step: the manifest digest its image resolved to, so that two builds' records
    /// can say the base image moved. Nil for other steps and in older records.
    public var imageDigest: String?

    public init(digest: Digest, status: Status, duration: Double, missReason: String? = nil, error: String? = nil,
                layers: [String]? = nil, context: [ReadSelection]? = nil, imageDigest: String? = nil) {
        self.digest = digest
        self.status = status
        self.duration = duration
        self.missReason = missReason
        self.error = error
        self.layers = layers
        self.context = context
        self.imageDigest = imageDigest
    }
}

/// One selection of a build context that a step read (`COPY src/ …`, a bind mount): the checksum
/// its cache key used and, when the selection is small, each file's checksum.
///
/// Files are listed only up to `listedFileLimit`: a record is written on every build, cached
/// rebuilds included, and a `COPY . .` of a large tree must not add megabytes to each one. A
/// larger selection keeps its checksum alone, which still tells that something in it changed.
public struct ReadSelection: Sendable, Codable, Equatable {
    /// Selections of more files than this keep only their checksum.
    public static let listedFileLimit = 256

    /// The selection as the step names it (`src/`, `NAME:src/` for a named context).
    public var selection: String
    public var digest: String
    /// Path → checksum (mode, owner and bytes); nil when the selection has too many files.
    public var files: [String: String]?

    public init(selection: String, digest: String, files: [String: String]? = nil) {
        self.selection = selection
        self.digest = digest
        self.files = files
    }
}

/// Why a step runs instead of coming from the cache. Its completion repeats the reason, so
/// readers of completions alone (and records written before this event) still have it.
public struct CacheMiss: Sendable, Codable, Equatable {
    public var digest: Digest
    public var reason: String

    public init(digest: Digest, reason: String) {
        self.digest = digest
        self.reason = reason
    }
}

/// Output of a running step. `stream` is 1 for stdout and 2 for stderr, as in BuildKit.
public struct LogChunk: Sendable, Codable, Equatable {
    public var digest: Digest
    public var stream: Int
    public var data: Data

    public init(digest: Digest, stream: Int, data: Data) {
        self.digest = digest
        self.stream = stream
        self.data = data
    }
}

/// Byte or item progress inside a vertex (context transfer, layer export): BuildKit's status.
public struct ProgressUpdate: Sendable, Codable, Equatable {
    public var digest: Digest
    public var id: String
    public var current: Int64
    public var total: Int64?
    public var completed: Bool
    /// BuildKit's short phase label for the item (`extracting`, `done`); nil when there is none.
    public var name: String?
    /// When this item started, if it started before this update (BuildKit's `started`); the
    /// event's own time is the update's timestamp.
    public var started: Date?

    public init(digest: Digest, id: String, current: Int64, total: Int64?, completed: Bool,
                name: String? = nil, started: Date? = nil) {
        self.digest = digest
        self.id = id
        self.current = current
        self.total = total
        self.completed = completed
        self.name = name
        self.started = started
    }
}

public struct BuildWarning: Sendable, Codable, Equatable {
    /// What is shown; for a build check, BuildKit's short form `Rule: detail (line N)`.
    public var message: String
    public var file: String?
    public var line: Int?
    public var digest: Digest?
    /// A build check's rule name (`StageNameCasing`); nil for other warnings. The fields below are
    /// optional so records written before build checks still decode.
    public var rule: String?
    /// The rule's documentation page.
    public var url: String?
    /// The rule's description (BuildKit's `detail[0]` of the vertex warning).
    public var description: String?
    /// The formatted message without the rule name and line.
    public var detail: String?
    /// BuildKit's warning level (1 for every build check).
    public var level: Int?
    /// The last Dockerfile line the warning covers (`line` is the first).
    public var endLine: Int?

    public init(message: String, file: String? = nil, line: Int? = nil, digest: Digest? = nil) {
        self.message = message
        self.file = file
        self.line = line
        self.digest = digest
    }
}

/// The end of a build: its status, totals and what it produced.
public struct BuildFinish: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case succeeded, failed, canceled }

    public var status: Status
    public var duration: Double
    public var steps: Int
    public var cachedSteps: Int
    /// The image digest (manifest) when an image was produced.
    public var imageDigest: String?
    /// Human-readable outputs (`oci archive /tmp/x.tar`, `image busybox:demo`).
    public var outputs: [String]
    public var error: String?

    public init(status: Status, duration: Double, steps: Int, cachedSteps: Int, imageDigest: String? = nil,
                outputs: [String] = [], error: String? = nil) {
        self.status = status
        self.duration = duration
        self.steps = steps
        self.cachedSteps = cachedSteps
        self.imageDigest = imageDigest
        self.outputs = outputs
        self.error = error
    }
}
