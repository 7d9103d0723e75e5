import Foundation

/// The build record line of an event (the format is specified on `BuildRecord`).
extension BuildEvent {
    /// Appends this event's record line, newline included, to `out`.
    ///
    /// Field order is fixed (`time`, `type`, then the payload's fields in declaration order),
    /// optional fields are left out when nil, and `buildArgs` keys are sorted: the same event
    /// always gives the same bytes.
    func appendRecordLine(to out: inout [UInt8]) {
        var w = JSONWriter(capacity: 0)
        swap(&w.bytes, &out)
        w.raw("{\"time\":")
        w.time(time)
        w.raw(",\"type\":\"")
        w.raw(kind.typeName)
        w.raw("\"")
        w.resumeObject()
        writePayload(&w)
        w.raw("}\n")
        swap(&w.bytes, &out)
    }

    private func writePayload(_ w: inout JSONWriter) {
        switch kind {
        case .buildStarted(let s):
            w.key("buildID"); w.string(s.buildID)
            w.key("contextPath"); w.string(s.contextPath)
            w.key("dockerfilePath"); w.string(s.dockerfilePath)
            w.key("dockerfileText"); w.string(s.dockerfileText)
            if let target = s.target { w.key("target"); w.string(target) }
            w.key("buildArgs")
            w.beginObject()
            for (name, value) in s.buildArgs.sorted(by: { $0.key < $1.key }) {
                w.key(text: name)
                w.string(value)
            }
            w.endObject()
            w.key("tags"); w.strings(s.tags)
            w.key("platform"); w.string(s.platform)
            w.key("noCache"); w.bool(s.noCache)
        case .plan(let vertices):
            w.key("vertices")
            w.beginArray()
            for v in vertices {
                w.element()
                w.beginObject()
                w.key("digest"); w.string(v.digest.value)
                w.key("name"); w.string(v.name)
                w.key("inputs"); w.strings(v.inputs.map(\.value))
                if let stage = v.stage { w.key("stage"); w.string(stage) }
                if let line = v.startLine { w.key("startLine"); w.int(line) }
                if let line = v.endLine { w.key("endLine"); w.int(line) }
                w.endObject()
            }
            w.endArray()
        case .vertexStarted(let digest):
            w.key("digest"); w.string(digest.value)
        case .vertexCompleted(let c):
            w.key("digest"); w.string(c.digest.value)
            w.key("status"); w.string(c.status.rawValue)
            w.key("duration"); w.double(c.duration)
            if let reason = c.missReason { w.key("missReason"); w.string(reason) }
            if let error = c.error { w.key("error"); w.string(error) }
            if let layers = c.layers { w.key("layers"); w.strings(layers) }
            if let context = c.context {
                w.key("context")
                w.beginArray()
                for selection in context {
                    w.element()
                    w.beginObject()
                    w.key("selection"); w.string(selection.selection)
                    w.key("digest"); w.string(selection.digest)
                    if let files = selection.files {
                        w.key("files")
                        w.beginObject()
                        for (path, checksum) in files.sorted(by: { $0.key < $1.key }) {
                            w.key(text: path)
                            w.string(checksum)
                        }
                        w.endObject()
                    }
                    w.endObject()
                }
                w.endArray()
            }
            if let digest = c.imageDigest { w.key("imageDigest"); w.string(digest) }
        case .cacheMiss(let miss):
            w.key("digest"); w.string(miss.digest.value)
            w.key("reason"); w.string(miss.reason)
        case .log(let chunk):
            w.key("digest"); w.string(chunk.digest.value)
            w.key("stream"); w.int(chunk.stream)
            w.key("data"); w.base64(chunk.data)
        case .progress(let p):
            w.key("digest"); w.string(p.digest.value)
            w.key("id"); w.string(p.id)
            w.key("current"); w.int(p.current)
            if let total = p.total { w.key("total"); w.int(total) }
            w.key("completed"); w.bool(p.completed)
            if let name = p.name { w.key("name"); w.string(name) }
            if let started = p.started { w.key("started"); w.time(started) }
        case .warning(let warning):
            w.key("message"); w.string(warning.message)
            if let file = warning.file { w.key("file"); w.string(file) }
            if let line = warning.line { w.key("line"); w.int(line) }
            if let digest = warning.digest { w.key("digest"); w.string(digest.value) }
            if let endLine = warning.endLine { w.key("endLine"); w.int(endLine) }
            if let rule = warning.rule { w.key("rule"); w.string(rule) }
            if let url = warning.url { w.key("url"); w.string(url) }
            if let description = warning.description { w.key("description"); w.string(description) }
            if let detail = warning.detail { w.key("detail"); w.string(detail) }
            if let level = warning.level { w.key("level"); w.int(level) }
        case .buildFinished(let f):
            w.key("status"); w.string(f.status.rawValue)
            w.key("duration"); w.double(f.duration)
            w.key("steps"); w.int(f.steps)
            w.key("cachedSteps"); w.int(f.cachedSteps)
            if let digest = f.imageDigest { w.key("imageDigest"); w.string(digest) }
            w.key("outputs"); w.strings(f.outputs)
            if let error = f.error { w.key("error"); w.string(error) }
        }
    }
}

extension BuildEvent.Kind {
    /// The record's `type` of this kind: the case name.
    var typeName: StaticString {
        switch self {
        case .buildStarted: return "buildStarted"
        case .plan: return "plan"
        case .vertexStarted: return "vertexStarted"
        case .vertexCompleted: return "vertexCompleted"
        case .cacheMiss: return "cacheMiss"
        case .log: return "log"
        case .progress: return "progress"
        case .warning: return "warning"
        case .buildFinished: return "buildFinished"
        }
    }
}
