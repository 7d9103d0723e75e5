import Foundation

/// Reads build record lines (the format is specified on `BuildRecord`): the flat format with a
/// hand-written parser, and lines of the older synthesized-`Codable` format
/// (`{"kind":{"log":{"_0":{…}}},"time":…}`, records written before the flat format) through
/// `JSONDecoder`.
///
/// Invariants:
/// - A line decodes to the event it was written from, or to nil: never to a guess. A flat line
///   missing a field its kind needs, with a field of the wrong type, or with an unknown `type`
///   is nil (a newer writer's kinds are skipped, not misread). Unknown fields are ignored.
/// - A line that starts like the flat format is never handed to `JSONDecoder`, so a damaged flat
///   line costs one failed scan, not two parses.
/// - Digests are interned per decoder: a record's million log lines share a few hundred strings.
struct RecordLineDecoder {
    private var digests = DigestInterner()
    private var codable: JSONDecoder?

    init() {}

    /// `{"time":"`: how every flat line begins.
    static let flatPrefix: [UInt8] = Array("{\"time\":\"".utf8)

    /// `{"kind":`: how every line of the older format begins (its keys are sorted).
    static let codablePrefix: [UInt8] = Array("{\"kind\":".utf8)

    mutating func decode(_ line: UnsafeBufferPointer<UInt8>) -> BuildEvent? {
        if line.starts(with: Self.flatPrefix) {
            if let event = decodeLog(line) { return event }
            return try? decodeFlat(line)
        }
        guard line.first == UInt8(ascii: "{") else { return nil }
        if !line.starts(with: Self.codablePrefix), let event = try? decodeFlat(line) { return event }
        let decoder = codable ?? BuildRecord.makeDecoder()
        codable = decoder
        return try? decoder.decode(BuildEvent.self, from: Data(buffer: line))
    }

    /// The log line exactly as `appendRecordLine` writes it, read without a general parser:
    /// `{"time":"<time>","type":"log","digest":"<digest>","stream":<int>,"data":"<base64>"}`.
    /// Every piece is checked as strictly as the general path checks it; a line that differs in
    /// any way (another field order, escapes, spaces, extra fields) is nil here and goes there.
    private mutating func decodeLog(_ line: UnsafeBufferPointer<UInt8>) -> BuildEvent? {
        guard let base = line.baseAddress else { return nil }
        var at = Self.flatPrefix.count
        func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard at + count <= line.count, memcmp(base + at, text.utf8Start, count) == 0 else { return false }
            at += count
            return true
        }
        func quote(from start: Int) -> Int? {
            guard start < line.count, let found = memchr(base + start, 0x22, line.count - start) else { return nil }
            return UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
        }
        guard let timeEnd = quote(from: at),
              let time = RFC3339Time.parse(UnsafeBufferPointer(rebasing: line[at..<timeEnd])) else { return nil }
        at = timeEnd
        guard literal("\",\"type\":\"log\",\"digest\":\""), at + 71 < line.count, line[at + 71] == 0x22,
              let digest = digests.digest(UnsafeBufferPointer(rebasing: line[at..<(at + 71)])) else { return nil }
        at += 72
        guard literal(",\"stream\":") else { return nil }
        let negative = at < line.count && line[at] == UInt8(ascii: "-")
        if negative { at += 1 }
        let digitsStart = at
        var stream = 0
        while at < line.count, line[at] &- 0x30 < 10, at - digitsStart < 18 {
            stream = stream * 10 + Int(line[at] &- 0x30)
            at += 1
        }
        guard at > digitsStart, at - digitsStart == 1 || line[digitsStart] != 0x30,
              literal(",\"data\":\""), let dataEnd = quote(from: at),
              dataEnd + 2 == line.count, line[dataEnd + 1] == UInt8(ascii: "}"),
              let data = Base64.decode(UnsafeBufferPointer(rebasing: line[at..<dataEnd])) else { return nil }
        return BuildEvent(time: time.date, .log(LogChunk(digest: digest, stream: negative ? -stream : stream, data: data)))
    }

    private enum TypeName: UInt8 {
        case buildStarted, plan, vertexStarted, vertexCompleted, cacheMiss, log, progress, warning, buildFinished
    }

    /// Everything a flat line may carry; which fields are required depends on its `type`.
    private struct Fields {
        var time: Date?
        var type: TypeName?
        var digest: Digest?
        var stream: Int?
        var data: Data?
        var vertices: [PlannedVertex]?
        var status: String?
        var duration: Double?
        var missReason: String?
        var error: String?
        var id: String?
        var current: Int64?
        var total: Int64?
        var completed: Bool?
        var name: String?
        var started: Date?
        var message: String?
        var file: String?
        var line: Int?
        var endLine: Int?
        var rule: String?
        var url: String?
        var description: String?
        var detail: String?
        var level: Int?
        var buildID: String?
        var contextPath: String?
        var dockerfilePath: String?
        var dockerfileText: String?
        var target: String?
        var buildArgs: [String: String]?
        var tags: [String]?
        var platform: String?
        var noCache: Bool?
        var steps: Int?
        var cachedSteps: Int?
        var imageDigest: String?
        var outputs: [String]?
        var layers: [String]?
        var context: [ReadSelection]?
        var reason: String?
    }

    private struct Missing: Error {}

    private mutating func decodeFlat(_ line: UnsafeBufferPointer<UInt8>) throws -> BuildEvent? {
        var s = JSONScanner(line)
        var f = Fields()
        try s.beginObject()
        while let key = try s.nextKey() {
            if try s.readNullIfPresent() { continue }
            if s.key(key, is: "time") { f.time = try s.readTime().date }
            else if s.key(key, is: "type") { f.type = try readType(&s) }
            else if s.key(key, is: "digest") { f.digest = try readDigest(&s) }
            else if s.key(key, is: "stream") { f.stream = try s.readInt() }
            else if s.key(key, is: "data") { f.data = try s.readBase64() }
            else if s.key(key, is: "vertices") { f.vertices = try readVertices(&s) }
            else if s.key(key, is: "status") { f.status = try s.readString() }
            else if s.key(key, is: "duration") { f.duration = try s.readDouble() }
            else if s.key(key, is: "missReason") { f.missReason = try s.readString() }
            else if s.key(key, is: "error") { f.error = try s.readString() }
            else if s.key(key, is: "id") { f.id = try s.readString() }
            else if s.key(key, is: "current") { f.current = try s.readInt64() }
            else if s.key(key, is: "total") { f.total = try s.readInt64() }
            else if s.key(key, is: "completed") { f.completed = try s.readBool() }
            else if s.key(key, is: "name") { f.name = try s.readString() }
            else if s.key(key, is: "started") { f.started = try s.readTime().date }
            else if s.key(key, is: "message") { f.message = try s.readString() }
            else if s.key(key, is: "file") { f.file = try s.readString() }
            else if s.key(key, is: "line") { f.line = try s.readInt() }
            else if s.key(key, is: "endLine") { f.endLine = try s.readInt() }
            else if s.key(key, is: "rule") { f.rule = try s.readString() }
            else if s.key(key, is: "url") { f.url = try s.readString() }
            else if s.key(key, is: "description") { f.description = try s.readString() }
            else if s.key(key, is: "detail") { f.detail = try s.readString() }
            else if s.key(key, is: "level") { f.level = try s.readInt() }
            else if s.key(key, is: "buildID") { f.buildID = try s.readString() }
            else if s.key(key, is: "contextPath") { f.contextPath = try s.readString() }
            else if s.key(key, is: "dockerfilePath") { f.dockerfilePath = try s.readString() }
            else if s.key(key, is: "dockerfileText") { f.dockerfileText = try s.readString() }
            else if s.key(key, is: "target") { f.target = try s.readString() }
            else if s.key(key, is: "buildArgs") { f.buildArgs = try readStringMap(&s) }
            else if s.key(key, is: "tags") { f.tags = try s.readStringArray() }
            else if s.key(key, is: "platform") { f.platform = try s.readString() }
            else if s.key(key, is: "noCache") { f.noCache = try s.readBool() }
            else if s.key(key, is: "steps") { f.steps = try s.readInt() }
            else if s.key(key, is: "cachedSteps") { f.cachedSteps = try s.readInt() }
            else if s.key(key, is: "imageDigest") { f.imageDigest = try s.readString() }
            else if s.key(key, is: "outputs") { f.outputs = try s.readStringArray() }
            else if s.key(key, is: "layers") { f.layers = try s.readStringArray() }
            else if s.key(key, is: "context") { f.context = try readContext(&s) }
            else if s.key(key, is: "reason") { f.reason = try s.readString() }
            else { try s.skipValue() }
        }
        try s.end()
        guard let time = f.time, let type = f.type else { return nil }
        guard let kind = try? Self.kind(type, f) else { return nil }
        return BuildEvent(time: time, kind)
    }

    private static func kind(_ type: TypeName, _ f: Fields) throws -> BuildEvent.Kind {
        func need<T>(_ value: T?) throws -> T {
            guard let value else { throw Missing() }
            return value
        }
        switch type {
        case .buildStarted:
            return .buildStarted(BuildStart(
                buildID: try need(f.buildID), contextPath: try need(f.contextPath),
                dockerfilePath: try need(f.dockerfilePath), dockerfileText: try need(f.dockerfileText),
                target: f.target, buildArgs: f.buildArgs ?? [:], tags: f.tags ?? [], platform: try need(f.platform),
                noCache: try need(f.noCache)))
        case .plan:
            return .plan(try need(f.vertices))
        case .vertexStarted:
            return .vertexStarted(try need(f.digest))
        case .vertexCompleted:
            return .vertexCompleted(VertexCompletion(
                digest: try need(f.digest), status: try need(f.status.flatMap(VertexCompletion.Status.init(rawValue:))),
                duration: try need(f.duration), missReason: f.missReason, error: f.error, layers: f.layers,
                context: f.context, imageDigest: f.imageDigest))
        case .cacheMiss:
            return .cacheMiss(CacheMiss(digest: try need(f.digest), reason: try need(f.reason)))
        case .log:
            return .log(LogChunk(digest: try need(f.digest), stream: try need(f.stream), data: try need(f.data)))
        case .progress:
            return .progress(ProgressUpdate(
                digest: try need(f.digest), id: try need(f.id), current: try need(f.current), total: f.total,
                completed: try need(f.completed), name: f.name, started: f.started))
        case .warning:
            var warning = BuildWarning(message: try need(f.message), file: f.file, line: f.line, digest: f.digest)
            (warning.rule, warning.url, warning.description) = (f.rule, f.url, f.description)
            (warning.detail, warning.level, warning.endLine) = (f.detail, f.level, f.endLine)
            return .warning(warning)
        case .buildFinished:
            return .buildFinished(BuildFinish(
                status: try need(f.status.flatMap(BuildFinish.Status.init(rawValue:))), duration: try need(f.duration),
                steps: try need(f.steps), cachedSteps: try need(f.cachedSteps), imageDigest: f.imageDigest,
                outputs: f.outputs ?? [], error: f.error))
        }
    }

    // MARK: - Field readers

    private func readType(_ s: inout JSONScanner) throws -> TypeName? {
        try s.readStringBytes { text -> TypeName? in
            switch text.count {
            case 3: return text.elementsEqual("log".utf8) ? .log : nil
            case 4: return text.elementsEqual("plan".utf8) ? .plan : nil
            case 7: return text.elementsEqual("warning".utf8) ? .warning : nil
            case 8: return text.elementsEqual("progress".utf8) ? .progress : nil
            case 9: return text.elementsEqual("cacheMiss".utf8) ? .cacheMiss : nil
            case 12: return text.elementsEqual("buildStarted".utf8) ? .buildStarted : nil
            case 13:
                if text.elementsEqual("vertexStarted".utf8) { return .vertexStarted }
                return text.elementsEqual("buildFinished".utf8) ? .buildFinished : nil
            case 15: return text.elementsEqual("vertexCompleted".utf8) ? .vertexCompleted : nil
            default: return nil
            }
        }
    }

    private mutating func readDigest(_ s: inout JSONScanner) throws -> Digest {
        let at = s.offset
        guard let digest = try s.readStringBytes({ digests.digest($0) }) else { throw s.error("not a digest", at: at) }
        return digest
    }

    private func readStringMap(_ s: inout JSONScanner) throws -> [String: String] {
        var map: [String: String] = [:]
        try s.beginObject()
        while let key = try s.nextKey() { map[s.text(of: key)] = try s.readString() }
        return map
    }

    private func readContext(_ s: inout JSONScanner) throws -> [ReadSelection] {
        var selections: [ReadSelection] = []
        try s.beginArray()
        while try s.nextElement() {
            var selection: String?
            var digest: String?
            var files: [String: String]?
            try s.beginObject()
            while let key = try s.nextKey() {
                if try s.readNullIfPresent() { continue }
                if s.key(key, is: "selection") { selection = try s.readString() }
                else if s.key(key, is: "digest") { digest = try s.readString() }
                else if s.key(key, is: "files") { files = try readStringMap(&s) }
                else { try s.skipValue() }
            }
            guard let selection, let digest else { throw s.error("a context selection needs a selection and a digest") }
            selections.append(ReadSelection(selection: selection, digest: digest, files: files))
        }
        return selections
    }

    private mutating func readVertices(_ s: inout JSONScanner) throws -> [PlannedVertex] {
        var vertices: [PlannedVertex] = []
        try s.beginArray()
        while try s.nextElement() {
            var digest: Digest?
            var name: String?
            var inputs: [Digest] = []
            var stage: String?
            var startLine: Int?
            var endLine: Int?
            try s.beginObject()
            while let key = try s.nextKey() {
                if try s.readNullIfPresent() { continue }
                if s.key(key, is: "digest") { digest = try readDigest(&s) }
                else if s.key(key, is: "name") { name = try s.readString() }
                else if s.key(key, is: "inputs") {
                    try s.beginArray()
                    while try s.nextElement() { inputs.append(try readDigest(&s)) }
                }
                else if s.key(key, is: "stage") { stage = try s.readString() }
                else if s.key(key, is: "startLine") { startLine = try s.readInt() }
                else if s.key(key, is: "endLine") { endLine = try s.readInt() }
                else { try s.skipValue() }
            }
            guard let digest, let name else { throw s.error("a planned vertex needs a digest and a name") }
            vertices.append(PlannedVertex(digest: digest, name: name, inputs: inputs, stage: stage,
                                          startLine: startLine, endLine: endLine))
        }
        return vertices
    }
}
