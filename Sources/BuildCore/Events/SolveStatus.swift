import Foundation

/// BuildKit's `client.SolveStatus` (client/graph.go): one line of `--progress=rawjson`.
///
/// Field names, field order, `omitempty` and value formats follow Go's `encoding/json` on those
/// structs, so `goJSON` writes what BuildKit writes: absent arrays and zero values left out, times
/// as `RFC3339Time` (nanoseconds, UTC, trimmed), byte slices as standard base64, and strings escaped
/// the way Go escapes them (including `<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`).
/// Decoding is lenient: every field may be missing, and unknown fields are ignored.
public struct SolveStatus: Sendable, Equatable, Codable {
    public var vertexes: [Vertex]
    public var statuses: [VertexStatus]
    public var logs: [VertexLog]
    public var warnings: [VertexWarning]

    public init(vertexes: [Vertex] = [], statuses: [VertexStatus] = [], logs: [VertexLog] = [],
                warnings: [VertexWarning] = []) {
        self.vertexes = vertexes
        self.statuses = statuses
        self.logs = logs
        self.warnings = warnings
    }

    public var isEmpty: Bool { vertexes.isEmpty && statuses.isEmpty && logs.isEmpty && warnings.isEmpty }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vertexes = try c.decodeIfPresent([Vertex].self, forKey: .vertexes) ?? []
        statuses = try c.decodeIfPresent([VertexStatus].self, forKey: .statuses) ?? []
        logs = try c.decodeIfPresent([VertexLog].self, forKey: .logs) ?? []
        warnings = try c.decodeIfPresent([VertexWarning].self, forKey: .warnings) ?? []
    }

    /// `client.Vertex`. `digest` stays a string: BuildKit also uses progress-group ids here.
    public struct Vertex: Sendable, Equatable, Codable {
        public var digest: String
        public var inputs: [String]?
        public var name: String?
        public var started: RFC3339Time?
        public var completed: RFC3339Time?
        public var cached: Bool?
        public var error: String?
        public var progressGroup: ProgressGroup?

        public init(digest: String, inputs: [String]? = nil, name: String? = nil, started: RFC3339Time? = nil,
                    completed: RFC3339Time? = nil, cached: Bool? = nil, error: String? = nil,
                    progressGroup: ProgressGroup? = nil) {
            self.digest = digest
            self.inputs = inputs
            self.name = name
            self.started = started
            self.completed = completed
            self.cached = cached
            self.error = error
            self.progressGroup = progressGroup
        }
    }

    /// `pb.ProgressGroup`: vertices BuildKit's display merges into one row.
    public struct ProgressGroup: Sendable, Equatable, Codable {
        public var id: String?
        public var name: String?
        public var weak: Bool?
    }

    /// `client.VertexStatus`: byte or item progress inside a vertex.
    public struct VertexStatus: Sendable, Equatable, Codable {
        public var id: String
        public var vertex: String?
        public var name: String?
        public var total: Int64?
        public var current: Int64
        public var timestamp: RFC3339Time
        public var started: RFC3339Time?
        public var completed: RFC3339Time?

        public init(id: String, vertex: String?, name: String? = nil, total: Int64? = nil, current: Int64,
                    timestamp: RFC3339Time, started: RFC3339Time? = nil, completed: RFC3339Time? = nil) {
            self.id = id
            self.vertex = vertex
            self.name = name
            self.total = total
            self.current = current
            self.timestamp = timestamp
            self.started = started
            self.completed = completed
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decodeIfPresent(String.self, forKey: .id) ?? ""
            vertex = try c.decodeIfPresent(String.self, forKey: .vertex)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            total = try c.decodeIfPresent(Int64.self, forKey: .total)
            current = try c.decodeIfPresent(Int64.self, forKey: .current) ?? 0
            timestamp = try c.decodeIfPresent(RFC3339Time.self, forKey: .timestamp) ?? RFC3339Time.goZero
            started = try c.decodeIfPresent(RFC3339Time.self, forKey: .started)
            completed = try c.decodeIfPresent(RFC3339Time.self, forKey: .completed)
        }
    }

    /// `client.VertexLog`: a chunk of a step's output; `stream` 1 is stdout, 2 stderr.
    public struct VertexLog: Sendable, Equatable, Codable {
        public var vertex: String?
        public var stream: Int?
        public var data: Data
        public var timestamp: RFC3339Time

        public init(vertex: String?, stream: Int?, data: Data, timestamp: RFC3339Time) {
            self.vertex = vertex
            self.stream = stream
            self.data = data
            self.timestamp = timestamp
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            vertex = try c.decodeIfPresent(String.self, forKey: .vertex)
            stream = try c.decodeIfPresent(Int.self, forKey: .stream)
            data = try c.decodeIfPresent(Data.self, forKey: .data) ?? Data()
            timestamp = try c.decodeIfPresent(RFC3339Time.self, forKey: .timestamp) ?? RFC3339Time.goZero
        }
    }

    /// `client.VertexWarning`: `short` and `detail` are bytes (base64 in JSON), as in BuildKit.
    public struct VertexWarning: Sendable, Equatable, Codable {
        public var vertex: String?
        public var level: Int?
        public var short: Data?
        public var detail: [Data]?
        public var url: String?
        public var sourceInfo: SourceInfo?
        public var range: [SourceRange]?

        public init(vertex: String? = nil, level: Int? = nil, short: Data? = nil, detail: [Data]? = nil,
                    url: String? = nil, sourceInfo: SourceInfo? = nil, range: [SourceRange]? = nil) {
            self.vertex = vertex
            self.level = level
            self.short = short
            self.detail = detail
            self.url = url
            self.sourceInfo = sourceInfo
            self.range = range
        }
    }

    /// `pb.SourceInfo` (the fields a warning uses; `definition` is ignored).
    public struct SourceInfo: Sendable, Equatable, Codable {
        public var filename: String?
        public var data: Data?
        public var language: String?

        public init(filename: String? = nil, data: Data? = nil, language: String? = nil) {
            self.filename = filename
            self.data = data
            self.language = language
        }
    }

    /// `pb.Range` of `pb.Position` (1-based lines; zero fields omitted).
    public struct SourceRange: Sendable, Equatable, Codable {
        public struct Position: Sendable, Equatable, Codable {
            public var line: Int?
            public var character: Int?

            public init(line: Int? = nil, character: Int? = nil) {
                self.line = line
                self.character = character
            }
        }

        public var start: Position?
        public var end: Position?

        public init(start: Position? = nil, end: Position? = nil) {
            self.start = start
            self.end = end
        }
    }
}

extension RFC3339Time {
    /// Go's zero `time.Time` (`0001-01-01T00:00:00Z`), what BuildKit writes for an unset timestamp.
    public static let goZero = RFC3339Time(seconds: -62_135_596_800, nanoseconds: 0)
}
