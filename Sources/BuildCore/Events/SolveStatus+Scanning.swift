import Foundation

/// Reading one rawjson line into a `SolveStatus` with `JSONScanner` instead of `JSONDecoder`.
///
/// It accepts and rejects what the `Codable` conformance does: every field may be missing or
/// `null` (except a vertex's `digest`), unknown fields are ignored, and a value of the wrong type,
/// a bad time or bad base64 rejects the whole line. It is several times faster, which is what
/// lets a replay of a long BuildKit log keep up with reading it.
extension SolveStatus {
    /// The status on one line of rawjson (surrounding whitespace allowed).
    init(jsonLine line: UnsafeBufferPointer<UInt8>) throws {
        var s = JSONScanner(line)
        self.init()
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "logs") {
                try s.beginArray()
                while try s.nextElement() { logs.append(try VertexLog(&s)) }
            } else if s.key(key, is: "vertexes") {
                try s.beginArray()
                while try s.nextElement() { vertexes.append(try Vertex(&s)) }
            } else if s.key(key, is: "statuses") {
                try s.beginArray()
                while try s.nextElement() { statuses.append(try VertexStatus(&s)) }
            } else if s.key(key, is: "warnings") {
                try s.beginArray()
                while try s.nextElement() { warnings.append(try VertexWarning(&s)) }
            } else {
                try s.skipValue()
            }
        }
        try s.end()
    }

    /// Whether `line` is a JSON object with at least one of SolveStatus's four fields: what tells
    /// a rawjson line from other JSON.
    static func hasStatusField(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = JSONScanner(line)
        var found = false
        do {
            try s.beginObject()
            while let key = try s.nextKey() {
                found = found || s.key(key, is: "vertexes") || s.key(key, is: "statuses") || s.key(key, is: "logs")
                    || s.key(key, is: "warnings")
                try s.skipValue()
            }
            try s.end()
        } catch {
            return false
        }
        return found
    }
}

extension JSONScanner {
    mutating func readTime() throws -> RFC3339Time {
        let at = offset
        guard let time = try readStringBytes({ RFC3339Time.parse($0) }) else { throw error("not an RFC 3339 time", at: at) }
        return time
    }

    mutating func readStringArray() throws -> [String] {
        var list: [String] = []
        try beginArray()
        while try nextElement() { list.append(try readString()) }
        return list
    }
}

extension SolveStatus.Vertex {
    fileprivate init(_ s: inout JSONScanner) throws {
        var digest: String?
        self.init(digest: "")
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "digest") { digest = try s.readString() }
            else if s.key(key, is: "inputs") { inputs = try s.readStringArray() }
            else if s.key(key, is: "name") { name = try s.readString() }
            else if s.key(key, is: "started") { started = try s.readTime() }
            else if s.key(key, is: "completed") { completed = try s.readTime() }
            else if s.key(key, is: "cached") { cached = try s.readBool() }
            else if s.key(key, is: "error") { error = try s.readString() }
            else if s.key(key, is: "progressGroup") {
                var group = SolveStatus.ProgressGroup()
                try s.beginObject()
                while let key = try s.nextKey() {
                    if try s.readNullIfPresent() { continue }
                    if s.key(key, is: "id") { group.id = try s.readString() }
                    else if s.key(key, is: "name") { group.name = try s.readString() }
                    else if s.key(key, is: "weak") { group.weak = try s.readBool() }
                    else { try s.skipValue() }
                }
                progressGroup = group
            } else {
                try s.skipValue()
            }
        }
        guard let digest else { throw s.error("a vertex needs a digest") }
        self.digest = digest
    }
}

extension SolveStatus.VertexStatus {
    fileprivate init(_ s: inout JSONScanner) throws {
        self.init(id: "", vertex: nil, current: 0, timestamp: .goZero)
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "id") { id = try s.readString() }
            else if s.key(key, is: "vertex") { vertex = try s.readString() }
            else if s.key(key, is: "name") { name = try s.readString() }
            else if s.key(key, is: "total") { total = try s.readInt64() }
            else if s.key(key, is: "current") { current = try s.readInt64() }
            else if s.key(key, is: "timestamp") { timestamp = try s.readTime() }
            else if s.key(key, is: "started") { started = try s.readTime() }
            else if s.key(key, is: "completed") { completed = try s.readTime() }
            else { try s.skipValue() }
        }
    }
}

extension SolveStatus.VertexLog {
    fileprivate init(_ s: inout JSONScanner) throws {
        self.init(vertex: nil, stream: nil, data: Data(), timestamp: .goZero)
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "vertex") { vertex = try s.readString() }
            else if s.key(key, is: "stream") { stream = try s.readInt() }
            else if s.key(key, is: "data") { data = try s.readBase64() }
            else if s.key(key, is: "timestamp") { timestamp = try s.readTime() }
            else { try s.skipValue() }
        }
    }
}

extension SolveStatus.VertexWarning {
    fileprivate init(_ s: inout JSONScanner) throws {
        self.init()
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "vertex") { vertex = try s.readString() }
            else if s.key(key, is: "level") { level = try s.readInt() }
            else if s.key(key, is: "short") { short = try s.readBase64() }
            else if s.key(key, is: "detail") {
                var list: [Data] = []
                try s.beginArray()
                while try s.nextElement() { list.append(try s.readBase64()) }
                detail = list
            } else if s.key(key, is: "url") { url = try s.readString() }
            else if s.key(key, is: "sourceInfo") {
                var info = SolveStatus.SourceInfo()
                try s.beginObject()
                while let key = try s.nextKey() {
                    if try s.readNullIfPresent() { continue }
                    if s.key(key, is: "filename") { info.filename = try s.readString() }
                    else if s.key(key, is: "data") { info.data = try s.readBase64() }
                    else if s.key(key, is: "language") { info.language = try s.readString() }
                    else { try s.skipValue() }
                }
                sourceInfo = info
            } else if s.key(key, is: "range") {
                var ranges: [SolveStatus.SourceRange] = []
                try s.beginArray()
                while try s.nextElement() { ranges.append(try SolveStatus.SourceRange(&s)) }
                range = ranges
            } else {
                try s.skipValue()
            }
        }
    }
}

extension SolveStatus.SourceRange {
    fileprivate init(_ s: inout JSONScanner) throws {
        self.init()
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "start") { start = try Position(&s) }
            else if s.key(key, is: "end") { end = try Position(&s) }
            else { try s.skipValue() }
        }
    }
}

extension SolveStatus.SourceRange.Position {
    fileprivate init(_ s: inout JSONScanner) throws {
        self.init()
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "line") { line = try s.readInt() }
            else if s.key(key, is: "character") { character = try s.readInt() }
            else { try s.skipValue() }
        }
    }
}
