import Foundation

/// Writing `SolveStatus` byte for byte as Go's `encoding/json` writes BuildKit's structs.
///
/// `JSONEncoder` cannot do this: it has no field order but sorted or unspecified, escapes `/`, and
/// does not escape `<`, `>`, `&`. Tools that diff our rawjson against BuildKit's (and our own
/// conformance tests) need the exact bytes, so the few structs are written by hand here.
extension SolveStatus {
    /// One compact JSON object, no trailing newline (rawjson adds one per status).
    public var goJSON: String {
        let w = GoJSONWriter()
        w.object {
            if !vertexes.isEmpty { w.field("vertexes") { w.array(vertexes) { w.vertex($0) } } }
            if !statuses.isEmpty { w.field("statuses") { w.array(statuses) { w.status($0) } } }
            if !logs.isEmpty { w.field("logs") { w.array(logs) { w.log($0) } } }
            if !warnings.isEmpty { w.field("warnings") { w.array(warnings) { w.warning($0) } } }
        }
        return w.out
    }
}

/// A minimal writer for Go-shaped JSON; `omitempty` is decided by the callers. A class so that the
/// nested `object { … }` closures can append to the same buffer; it never leaves one call.
final class GoJSONWriter {
    var out = ""
    private var needsComma = [false]

    func object(_ body: () -> Void) {
        out += "{"
        needsComma.append(false)
        body()
        needsComma.removeLast()
        out += "}"
    }

    func array<T>(_ items: [T], _ each: (T) -> Void) {
        out += "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            each(item)
        }
        out += "]"
    }

    func field(_ name: String, _ value: () -> Void) {
        if needsComma[needsComma.count - 1] { out += "," }
        needsComma[needsComma.count - 1] = true
        Self.quote(name, into: &out)
        out += ":"
        value()
    }

    func string(_ key: String, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        field(key) { Self.quote(value, into: &out) }
    }

    func int(_ key: String, _ value: Int64?, always: Bool = false) {
        let v = value ?? 0
        guard always || v != 0 else { return }
        field(key) { out += String(v) }
    }

    func time(_ key: String, _ value: RFC3339Time?) {
        guard let value else { return }
        field(key) { out += "\"" + value.description + "\"" }
    }

    func bytes(_ key: String, _ value: Data?, always: Bool = false) {
        let v = value ?? Data()
        guard always || !v.isEmpty else { return }
        field(key) { out += "\"" + v.base64EncodedString() + "\"" }
    }

    func vertex(_ v: SolveStatus.Vertex) {
        object {
            string("digest", v.digest)
            if let inputs = v.inputs, !inputs.isEmpty {
                field("inputs") { array(inputs) { Self.quote($0, into: &out) } }
            }
            string("name", v.name)
            time("started", v.started)
            time("completed", v.completed)
            if v.cached == true { field("cached") { out += "true" } }
            string("error", v.error)
            if let g = v.progressGroup {
                field("progressGroup") {
                    object {
                        string("id", g.id)
                        string("name", g.name)
                        if g.weak == true { field("weak") { out += "true" } }
                    }
                }
            }
        }
    }

    func status(_ s: SolveStatus.VertexStatus) {
        object {
            field("id") { Self.quote(s.id, into: &out) }
            string("vertex", s.vertex)
            string("name", s.name)
            int("total", s.total)
            int("current", s.current, always: true)
            time("timestamp", s.timestamp)
            time("started", s.started)
            time("completed", s.completed)
        }
    }

    func log(_ l: SolveStatus.VertexLog) {
        object {
            string("vertex", l.vertex)
            int("stream", l.stream.map(Int64.init))
            bytes("data", l.data, always: true)
            time("timestamp", l.timestamp)
        }
    }

    func warning(_ w: SolveStatus.VertexWarning) {
        object {
            string("vertex", w.vertex)
            int("level", w.level.map(Int64.init))
            bytes("short", w.short)
            if let detail = w.detail, !detail.isEmpty {
                field("detail") { array(detail) { out += "\"" + $0.base64EncodedString() + "\"" } }
            }
            string("url", w.url)
            if let info = w.sourceInfo {
                field("sourceInfo") {
                    object {
                        string("filename", info.filename)
                        bytes("data", info.data)
                        string("language", info.language)
                    }
                }
            }
            if let ranges = w.range, !ranges.isEmpty {
                field("range") { array(ranges) { position(range: $0) } }
            }
        }
    }

    private func position(range r: SolveStatus.SourceRange) {
        object {
            for (key, p) in [("start", r.start), ("end", r.end)] {
                guard let p else { continue }
                field(key) {
                    object {
                        int("line", p.line.map(Int64.init))
                        int("character", p.character.map(Int64.init))
                    }
                }
            }
        }
    }

    /// Go's string escaping with HTML escaping on (its `json.Marshal` and `Encoder` default).
    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || "<>&\u{2028}\u{2029}".unicodeScalars.contains(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
