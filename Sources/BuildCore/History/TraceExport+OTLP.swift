import Foundation

extension TraceExport {
    /// OTLP/JSON: one `ExportTraceServiceRequest` in protobuf's JSON mapping (camelCase names,
    /// 64-bit integers as decimal strings, enums as integers, ids as lowercase hex).
    ///
    /// One resource (`service.name` `swbuild`) and one scope hold every span, the build's first;
    /// each vertex span is the build span's child. Ids are derived from the record's id (and the
    /// vertex digest and run), never random, so exporting a record twice gives the same bytes and
    /// the same trace. Failures carry an error status with their message; other spans leave the
    /// status unset (a canceled step is not an error of its own).
    public func otlpJSON() -> String {
        let traceID = Self.traceID(buildID: id)
        let buildSpanID = Self.spanID(buildID: id, digest: nil, run: 0)
        var spans = [otlpSpan(build, traceID: traceID, spanID: buildSpanID, parent: nil)]
        for span in vertices {
            spans.append(otlpSpan(span, traceID: traceID, spanID: Self.spanID(buildID: id, digest: span.digest, run: span.run),
                                  parent: buildSpanID))
        }
        let resource = JSONText.object([("attributes", [Self.otlpAttribute(Attribute("service.name", .string("swbuild")))])])
        let scope = JSONText.object([("name", "swbuild")])
        return "{\"resourceSpans\":[{\"resource\":" + resource.rendered + ",\"scopeSpans\":[{\"scope\":" + scope.rendered
            + ",\"spans\":[\n" + spans.map(\.rendered).joined(separator: ",\n") + "\n]}]}]}\n"
    }

    /// The trace id of a build: 16 bytes of SHA-256 over its id, as 32 lowercase hex digits.
    public static func traceID(buildID: String) -> String {
        nonZero(String(Digest.sha256("swbuild trace\n" + buildID).hex.prefix(32)))
    }

    /// A span id: 8 bytes of SHA-256 over the build id and, for a vertex span, its digest and run,
    /// as 16 lowercase hex digits.
    public static func spanID(buildID: String, digest: Digest?, run: Int) -> String {
        var seed = "swbuild span\n" + buildID
        if let digest { seed += "\n" + digest.value + "\n" + String(run) }
        return nonZero(String(Digest.sha256(seed).hex.prefix(16)))
    }

    /// All-zero ids are invalid in OTLP; a hash giving one (practically never) is nudged.
    private static func nonZero(_ hex: String) -> String {
        hex.allSatisfy { $0 == "0" } ? String(hex.dropLast()) + "1" : hex
    }

    private func otlpSpan(_ span: Span, traceID: String, spanID: String, parent: String?) -> JSONText {
        var fields: [(String, JSONText)] = [("traceId", .string(traceID)), ("spanId", .string(spanID))]
        if let parent { fields.append(("parentSpanId", .string(parent))) }
        fields += [
            ("name", .string(span.name)),
            ("kind", 1),  // SPAN_KIND_INTERNAL
            ("startTimeUnixNano", .string(Self.nanos(span.start))),
            ("endTimeUnixNano", .string(Self.nanos(span.end))),
            ("attributes", .array(span.attributes.map(Self.otlpAttribute))),
        ]
        if let failure = span.failure {
            fields.append(("status", .object([("code", 2), ("message", .string(failure))])))  // STATUS_CODE_ERROR
        }
        return .object(fields)
    }

    private static func otlpAttribute(_ attribute: Attribute) -> JSONText {
        let value: JSONText
        switch attribute.value {
        case .string(let s): value = .object([("stringValue", .string(s))])
        case .int(let i): value = .object([("intValue", .string(String(i)))])
        case .bool(let b): value = .object([("boolValue", .bool(b))])
        }
        return .object([("key", .string(attribute.key)), ("value", value)])
    }

    /// Microseconds as a decimal string of nanoseconds (times before 1970 clamp to 0: the field is
    /// unsigned).
    private static func nanos(_ micros: Int64) -> String {
        micros <= 0 ? "0" : String(micros) + "000"
    }
}
