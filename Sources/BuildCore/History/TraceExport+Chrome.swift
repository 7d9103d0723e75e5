import Foundation

extension TraceExport {
    /// Chrome's trace event format, object form: `{"traceEvents":[…],"displayTimeUnit":"ms"}`.
    ///
    /// Everything is in process 1. Metadata events come first (the process's name, then each
    /// lane's `thread_name` and `thread_sort_index`, so lanes show in plan order), then one complete
    /// event (`ph` `X`) per span, the build's first. `ts` counts microseconds from the build's start
    /// and `dur` is whole microseconds, so a cache hit is a zero-length event. Keys come in a fixed
    /// order and each event has a line of its own, so exports diff well.
    public func chromeTraceJSON() -> String {
        var events: [JSONText] = [
            .object([("name", "process_name"), ("ph", "M"), ("pid", 1),
                     ("args", .object([("name", .string("swbuild \(build.name)"))]))]),
        ]
        for (index, name) in lanes.enumerated() {
            let tid = JSONText.int(index + 1)
            events.append(.object([("name", "thread_name"), ("ph", "M"), ("pid", 1), ("tid", tid),
                                   ("args", .object([("name", .string(name))]))]))
            events.append(.object([("name", "thread_sort_index"), ("ph", "M"), ("pid", 1), ("tid", tid),
                                   ("args", .object([("sort_index", tid)]))]))
        }
        for span in [build] + vertices {
            events.append(.object([
                ("name", .string(span.name)),
                ("cat", span.digest == nil ? "build" : "vertex"),
                ("ph", "X"),
                ("ts", .int(Int(span.start - build.start))),
                ("dur", .int(Int(span.end - span.start))),
                ("pid", 1),
                ("tid", .int(span.lane)),
                ("args", .object(span.attributes.map { ($0.key, $0.value.json) })),
            ]))
        }
        return "{\"traceEvents\":[\n" + events.map(\.rendered).joined(separator: ",\n") + "\n],\"displayTimeUnit\":\"ms\"}\n"
    }
}

extension TraceExport.Value {
    /// The value as plain JSON (Chrome's `args`).
    var json: JSONText {
        switch self {
        case .string(let s): return .string(s)
        case .int(let i): return .int(i)
        case .bool(let b): return .bool(b)
        }
    }
}
