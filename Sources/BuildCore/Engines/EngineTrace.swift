import Foundation
import SwiftProtobuf

/// The JSON lines a Docker engine answers `POST /build?version=2` with, read into what the rest
/// of swbuild understands: BuildKit's progress (`moby.buildkit.trace`, a base64 protobuf
/// `StatusResponse`) becomes a `SolveStatus`, which `RawJSONDecoder` turns into `BuildEvent`s
/// exactly as it does for BuildKit's rawjson; the image id and errors are picked out.
enum EngineTrace {
    enum Line: Equatable {
        case status(SolveStatus)
        /// `moby.image.id`: the built image's id (its config digest).
        case imageID(String)
        /// The build failed; the engine's message.
        case error(String)
        /// Anything else (`stream` text, other aux messages): nothing to show.
        case other
    }

    /// One line of the response. A line that is not JSON, or a trace that does not decode as a
    /// `StatusResponse`, throws `undecodable` (the engine or the connection is not what we
    /// think, and guessing would show a wrong build).
    static func read(_ line: Data, host: String) throws(EngineError) -> Line {
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            throw .undecodable(host, "not a JSON object: \(String(decoding: line.prefix(80), as: UTF8.self))")
        }
        if let detail = object["errorDetail"] as? [String: Any], let message = detail["message"] as? String {
            return .error(message)
        }
        if let message = object["error"] as? String { return .error(message) }
        switch object["id"] as? String {
        case "moby.buildkit.trace":
            guard let text = object["aux"] as? String, let bytes = Data(base64Encoded: text) else {
                throw .undecodable(host, "moby.buildkit.trace without base64 data")
            }
            do {
                return .status(solveStatus(try Buildkit_StatusResponse(serializedBytes: bytes)))
            } catch {
                throw .undecodable(host, "moby.buildkit.trace is not a BuildKit StatusResponse (\(error))")
            }
        case "moby.image.id":
            if let aux = object["aux"] as? [String: Any], let id = aux["ID"] as? String { return .imageID(id) }
            return .other
        default:
            return .other
        }
    }

    /// The protobuf status as BuildKit's Go client would print it with `--progress=rawjson`.
    static func solveStatus(_ response: Buildkit_StatusResponse) -> SolveStatus {
        func time(_ t: Google_Protobuf_Timestamp) -> RFC3339Time { RFC3339Time(seconds: t.seconds, nanoseconds: t.nanos) }
        let vertexes = response.vertexes.map { v in
            SolveStatus.Vertex(digest: v.digest, inputs: v.inputs.isEmpty ? nil : v.inputs, name: v.name.isEmpty ? nil : v.name,
                               started: v.hasStarted ? time(v.started) : nil, completed: v.hasCompleted ? time(v.completed) : nil,
                               cached: v.cached ? true : nil, error: v.error.isEmpty ? nil : v.error,
                               progressGroup: v.hasProgressGroup
                                   ? SolveStatus.ProgressGroup(id: v.progressGroup.id, name: v.progressGroup.name,
                                                               weak: v.progressGroup.weak ? true : nil) : nil)
        }
        let statuses = response.statuses.map { s in
            SolveStatus.VertexStatus(id: s.id, vertex: s.vertex.isEmpty ? nil : s.vertex, name: s.name.isEmpty ? nil : s.name,
                                     total: s.total == 0 ? nil : s.total, current: s.current, timestamp: time(s.timestamp),
                                     started: s.hasStarted ? time(s.started) : nil,
                                     completed: s.hasCompleted ? time(s.completed) : nil)
        }
        let logs = response.logs.map { l in
            SolveStatus.VertexLog(vertex: l.vertex.isEmpty ? nil : l.vertex, stream: Int(l.stream), data: l.msg,
                                  timestamp: time(l.timestamp))
        }
        let warnings = response.warnings.map { w in
            SolveStatus.VertexWarning(
                vertex: w.vertex.isEmpty ? nil : w.vertex, level: Int(w.level), short: w.short,
                detail: w.detail.isEmpty ? nil : w.detail, url: w.url.isEmpty ? nil : w.url,
                sourceInfo: w.hasInfo ? SolveStatus.SourceInfo(filename: w.info.filename, data: w.info.data.isEmpty ? nil : w.info.data,
                                                               language: w.info.language.isEmpty ? nil : w.info.language) : nil,
                range: w.ranges.isEmpty ? nil : w.ranges.map { r in
                    SolveStatus.SourceRange(start: .init(line: Int(r.start.line), character: Int(r.start.character)),
                                            end: .init(line: Int(r.end.line), character: Int(r.end.character)))
                })
        }
        return SolveStatus(vertexes: vertexes, statuses: statuses, logs: logs, warnings: warnings)
    }
}
