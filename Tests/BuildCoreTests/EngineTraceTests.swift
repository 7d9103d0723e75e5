import Foundation
import SwiftProtobuf
import Testing
@testable import BuildCore

/// A Docker engine's build response: BuildKit's protobuf status read into `SolveStatus` and then
/// into events; the image id, errors, and lines that do not decode.
struct EngineTraceTests {
    static func traceLine(_ response: Buildkit_StatusResponse) throws -> Data {
        let bytes: Data = try response.serializedBytes()
        let object: [String: Any] = ["id": "moby.buildkit.trace", "aux": bytes.base64EncodedString()]
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func timestamp(_ seconds: Int64, _ nanos: Int32 = 0) -> Google_Protobuf_Timestamp {
        var t = Google_Protobuf_Timestamp()
        t.seconds = seconds
        t.nanos = nanos
        return t
    }

    @Test func aTraceBecomesBuildKitsStatusAndThenEvents() throws {
        var vertex = Buildkit_Vertex()
        vertex.digest = "sha256:" + String(repeating: "a", count: 64)
        vertex.name = "[2/2] RUN echo hi"
        vertex.started = Self.timestamp(1_800_000_000)
        vertex.completed = Self.timestamp(1_800_000_001, 500_000_000)
        var log = Buildkit_VertexLog()
        log.vertex = vertex.digest
        log.stream = 1
        log.msg = Data("hi\n".utf8)
        log.timestamp = Self.timestamp(1_800_000_000, 250_000_000)
        var warning = Buildkit_VertexWarning()
        warning.level = 1
        warning.short = Data("JSONArgsRecommended: JSON arguments recommended for CMD".utf8)
        warning.url = "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/"
        var range = Buildkit_Range()
        range.start.line = 4
        range.end.line = 4
        warning.ranges = [range]
        var response = Buildkit_StatusResponse()
        response.vertexes = [vertex]
        response.logs = [log]
        response.warnings = [warning]

        guard case .status(let status) = try EngineTrace.read(try Self.traceLine(response), host: "unix:///s") else {
            Issue.record("not a status")
            return
        }
        #expect(status.vertexes[0].name == "[2/2] RUN echo hi")
        #expect(status.vertexes[0].completed == RFC3339Time(seconds: 1_800_000_001, nanoseconds: 500_000_000))
        #expect(status.logs[0].data == Data("hi\n".utf8) && status.logs[0].stream == 1)
        #expect(status.warnings[0].range?.first?.start?.line == 4)
        var decoder = RawJSONDecoder()
        let kinds = decoder.decode(status).map(\.kind)
        #expect(kinds.contains { if case .vertexStarted = $0 { return true }; return false })
        #expect(kinds.contains { if case .log(let chunk) = $0 { return chunk.data == Data("hi\n".utf8) }; return false })
        #expect(kinds.contains { if case .vertexCompleted(let c) = $0 { return c.status == .done }; return false })
        #expect(kinds.contains { if case .warning(let w) = $0 { return w.line == 4 }; return false })
    }

    @Test func theImageIDAndErrorsArePickedOut() throws {
        let image = Data(#"{"id":"moby.image.id","aux":{"ID":"sha256:abc"}}"#.utf8)
        #expect(try EngineTrace.read(image, host: "h") == .imageID("sha256:abc"))
        let failure = Data(#"{"errorDetail":{"message":"process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3"},"error":"x"}"#.utf8)
        #expect(try EngineTrace.read(failure, host: "h") == .error("process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3"))
        #expect(try EngineTrace.read(Data(#"{"stream":"Step 1/2"}"#.utf8), host: "h") == .other)
    }

    @Test func whatDoesNotDecodeIsOneClearError() {
        #expect(throws: EngineError.self) { try EngineTrace.read(Data("not json".utf8), host: "unix:///s") }
        let garbage = Data(#"{"id":"moby.buildkit.trace","aux":"////"}"#.utf8)
        do {
            _ = try EngineTrace.read(garbage, host: "unix:///s")
            Issue.record("garbage decoded")
        } catch {
            #expect("\(error)".hasPrefix("Docker engine unix:///s sent a progress message that does not decode"))
        }
    }

    @Test func optionsTheEngineCannotTakeAreRefusedByName() {
        var request = BuildRequest(contextPath: "/ctx", secrets: ["a": Data("s".utf8)])
        request.outputs = [OutputSpec(kind: .local, destination: "/out")]
        let refused = Build.engineRefusals(request)
        #expect(refused.contains("--secret") && refused.contains { $0.hasPrefix("--output") })
        request = BuildRequest(contextPath: "/ctx", buildArgs: ["A": "1"], tags: ["x:1"], noCache: true)
        request.labels = ["k": "v"]
        request.network = "host"
        let query = Dictionary(Build.engineQuery(request, dockerfile: "Dockerfile"), uniquingKeysWith: { a, _ in a })
        #expect(query["buildargs"] == #"{"A":"1"}"# && query["labels"] == #"{"k":"v"}"#)
        #expect(query["t"] == "x:1" && query["nocache"] == "1" && query["networkmode"] == "host" && query["dockerfile"] == "Dockerfile")
        #expect(Build.engineRefusals(request).isEmpty)
    }
}
