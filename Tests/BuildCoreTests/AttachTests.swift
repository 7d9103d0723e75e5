import Foundation
import Testing
@testable import BuildCore

@Suite struct AttachTests {
    static let step = Digest.sha256("step")

    static func events(_ id: String) -> [BuildEvent] {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        return [
            BuildEvent(time: t0, .buildStarted(BuildStart(buildID: id, contextPath: "/ctx", dockerfilePath: "/ctx/Dockerfile",
                                                          dockerfileText: "FROM scratch\n", target: nil, buildArgs: [:], tags: [],
                                                          platform: "linux/amd64", noCache: false))),
            BuildEvent(time: t0, .plan([PlannedVertex(digest: step, name: "[1/1] RUN x", inputs: [], stage: nil, startLine: 2, endLine: 2)])),
            BuildEvent(time: t0.addingTimeInterval(1), .vertexStarted(step)),
            BuildEvent(time: t0.addingTimeInterval(2), .log(LogChunk(digest: step, stream: 1, data: Data("hi\n".utf8)))),
        ]
    }

    /// A root whose socket path is longer than `sun_path` allows, so the short-path route is used.
    static func longRoot() -> (TempDirectory, StateRoot) {
        let dir = TempDirectory("attach")
        let path = dir.path + "/" + String(repeating: "deep/", count: 20)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return (dir, StateRoot(path: path))
    }

    @Test func sshURLs() throws {
        let full = try SSHBuildHost(url: "ssh://builder@ci.example.com:2222", environment: [:])
        #expect(full.user == "builder" && full.host == "ci.example.com" && full.port == 2222)
        #expect(full.arguments.suffix(3) == ["--", "ci.example.com", "swbuild-tui bridge"])
        let plain = try SSHBuildHost(url: "ssh://box", environment: ["SWBUILD_REMOTE_COMMAND": "/opt/swbuild-tui"])
        #expect(plain.user == nil && plain.port == nil && plain.remoteCommand == "/opt/swbuild-tui")
        let v6 = try SSHBuildHost(url: "ssh://me@[::1]:22", environment: [:])
        #expect(v6.host == "::1" && v6.port == 22)
        for bad in ["http://box", "ssh://", "ssh://box:0", "ssh://box:x", "ssh://@box", "ssh://-oProxyCommand=sh", "ssh://a b", "box"] {
            #expect(throws: AttachError.self) { try SSHBuildHost(url: bad, environment: [:]) }
        }
    }

    @Test func aViewerGetsEverythingSoFarThenLiveEventsUntilTheEnd() async throws {
        let (dir, root) = Self.longRoot()
        _ = dir
        let bus = EventBus()
        let first = Self.events("b1")
        await bus.publish(contentsOf: first)
        let server = try AttachServer(root: root, buildID: "b1", bus: bus)
        #expect(server.path.utf8.count > 108)

        // The status follows the bus a moment behind: ask until it has caught up.
        var reported: RunningBuild?
        for _ in 0..<100 {
            let status = try UnixSocket.connect(to: server.path)
            status.send(Data("status\n".utf8))
            reported = RunningBuild.decode(status.receive())
            if reported?.steps == 1 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let build = try #require(reported)
        #expect(build.id == "b1" && build.steps == 1 && build.completed == 0 && build.contextPath == "/ctx")

        let socket = try UnixSocket.connect(to: server.path)
        socket.send(Data("attach\n".utf8))
        let received = Task { var all: [BuildEvent] = []; for await e in EventLineStream.events(from: socket) { all.append(e) }; return all }
        // A viewer that connects and leaves at once changes nothing.
        let leaver = try UnixSocket.connect(to: server.path)
        leaver.send(Data("attach\n".utf8))
        leaver.close()
        let end = BuildEvent(time: Date(timeIntervalSince1970: 1_700_000_003), .buildFinished(BuildFinish(status: .succeeded, duration: 3, steps: 1, cachedSteps: 0)))
        await bus.publish(end)
        await bus.finish()
        await server.stop()
        let all = await received.value
        #expect(all == first + [end])
        #expect(!FileManager.default.fileExists(atPath: server.path))
    }

    @Test func theBridgeAnswersOneRequest() throws {
        let dir = TempDirectory("bridge")
        let root = StateRoot(path: dir.path)
        let record = try BuildHistory(root).recordURL(forNewID: "rec1")
        try FileManager.default.createDirectory(at: record.deletingLastPathComponent(), withIntermediateDirectories: true)
        let bytes = Self.events("rec1").map { BuildRecord.line(for: $0) }.reduce(Data(), +)
        try bytes.write(to: record)

        func ask(_ request: String) -> (status: Int32, reply: HostBridge.Reply?, payload: Data) {
            let input = Pipe(), output = Pipe()
            input.fileHandleForWriting.write(Data(request.utf8))
            try? input.fileHandleForWriting.close()
            let status = HostBridge.serve(host: LocalBuildHost(root: root), input: input.fileHandleForReading.fileDescriptor,
                                          output: output.fileHandleForWriting.fileDescriptor)
            try? output.fileHandleForWriting.close()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let newline = data.firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
            let reply = try? JSONDecoder().decode(HostBridge.Reply.self, from: data[..<newline])
            return (status, reply, newline < data.endIndex ? data[(newline + 1)...] : Data())
        }

        let running = ask("{\"op\":\"running\"}\n")
        #expect(running.status == 0 && running.reply?.ok == true)
        #expect(String(decoding: running.payload, as: UTF8.self) == "[]\n")
        let fetched = ask("{\"op\":\"record\",\"id\":\"rec\"}\n")
        #expect(fetched.reply?.id == "rec1" && fetched.payload == bytes)
        let attached = ask("{\"op\":\"attach\",\"id\":\"rec1\"}\n")
        #expect(attached.reply?.live == false && attached.payload == bytes)
        let missing = ask("{\"op\":\"attach\",\"id\":\"zzz\"}\n")
        #expect(missing.status == 1 && missing.reply?.ok == false)
        #expect(missing.reply?.error?.contains("zzz") == true)
        let garbage = ask("hello\n")
        #expect(garbage.status == 2 && garbage.reply?.ok == false)
    }
}
