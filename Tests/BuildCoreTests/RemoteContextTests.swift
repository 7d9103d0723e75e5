import Foundation
import Testing
@testable import BuildCore

/// The pieces of a remote build that need no ssh: frames, the manifest's checks, the remote's
/// copy of a context (incremental, and confined however hostile the manifest), the agent relay.
@Suite struct RemoteContextTests {
    static func pipe() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        _ = Glibc.pipe(&fds)
        return (fds[0], fds[1])
    }

    static func entry(_ path: String, _ kind: ContextManifest.Entry.Kind, _ content: String? = nil, target: String? = nil,
                      mode: UInt32 = 0o644) -> ContextManifest.Entry {
        ContextManifest.Entry(path: path, kind: kind, mode: kind == .directory ? 0o755 : mode, uid: 0, gid: 0,
                              mtime: 1_700_000_000_123_456_789, size: Int64(content?.utf8.count ?? 0),
                              digest: content.map { Digest.sha256($0).value }, target: target)
    }

    /// Stores the blobs of `contents` the mirror lacks, as a client would send them.
    static func send(_ contents: [String], to mirror: ContextMirror, manifest: ContextManifest) throws -> [String] {
        let need = mirror.missing(manifest)
        for digest in need {
            let content = try #require(contents.first { Digest.sha256($0).value == digest })
            let receiver = try BlobReceiver(mirror: mirror, digest: digest)
            try receiver.append(Data(content.utf8))
            try receiver.finish()
        }
        return need
    }

    @Test func framesRoundTripWithChannelsAndLargePayloads() throws {
        let (r, w) = Self.pipe()
        defer { close(r) }
        let writer = FrameWriter(fd: w)
        let big = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0) })
        Thread.detachNewThread {
            writer.send(.events, channel: 7, Data("line\n".utf8))
            writer.send(.outputData, channel: 0xfffffffe, big)
            writer.send(.ping)
            close(w)
        }
        let reader = FrameReader(fd: r)
        let a = try #require(try reader.next())
        #expect(a.kind == .events && a.channel == 7 && a.payload == Data("line\n".utf8))
        let b = try #require(try reader.next())
        #expect(b.kind == .outputData && b.channel == 0xfffffffe && b.payload == big)
        let c = try #require(try reader.next())
        #expect(c.kind == .ping && c.payload.isEmpty)
        #expect(try reader.next() == nil)
    }

    @Test func aCutOrUnknownFrameIsAnError() throws {
        let (r, w) = Self.pipe()
        defer { close(r) }
        _ = [UInt8]([12, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2]).withUnsafeBytes { write(w, $0.baseAddress, $0.count) }
        close(w)
        #expect(throws: RemoteBuildError.self) { _ = try FrameReader(fd: r).next() }
        let (r2, w2) = Self.pipe()
        defer { close(r2) }
        _ = [UInt8]([200, 0, 0, 0, 0, 0, 0, 0, 0]).withUnsafeBytes { write(w2, $0.baseAddress, $0.count) }
        close(w2)
        #expect(throws: RemoteBuildError.self) { _ = try FrameReader(fd: r2).next() }
    }

    @Test func hostileManifestsAreRefusedBeforeAnythingIsWritten() {
        for path in ["../escape", "/etc/passwd", "a//b", "a/./b", "a/../../b", "", "a/.."] {
            let manifest = ContextManifest(entries: [Self.entry(path, .file, "x")])
            #expect(throws: RemoteBuildError.self, "\(path)") { try manifest.validate() }
        }
        let twice = ContextManifest(entries: [Self.entry("a", .file, "x"), Self.entry("a", .directory)])
        #expect(throws: RemoteBuildError.self) { try twice.validate() }
        var noDigest = Self.entry("a", .file, "x")
        noDigest.digest = "md5:abc"
        #expect(throws: RemoteBuildError.self) { try ContextManifest(entries: [noDigest]).validate() }
        #expect(throws: RemoteBuildError.self) { try ContextManifest(entries: [Self.entry("l", .symlink)]).validate() }
        #expect(throws: Never.self) { try ContextManifest(entries: [Self.entry("ok/dir", .directory), Self.entry("l", .symlink, target: "/etc")]).validate() }
    }

    @Test func theMirrorFollowsTheContextIncrementally() throws {
        let root = TempDirectory()
        let mirror = try ContextMirror(root: StateRoot(path: root.path), clientID: "client-1")
        let tree = try mirror.lease(key: "context-a")
        let first = ContextManifest(entries: [
            Self.entry("a.txt", .file, "alpha"), Self.entry("dir", .directory), Self.entry("dir/b.sh", .file, "beta", mode: 0o755),
            Self.entry("dir/same.txt", .file, "alpha"), Self.entry("link", .symlink, target: "a.txt"),
        ])
        #expect(try Self.send(["alpha", "beta"], to: mirror, manifest: first).count == 2)
        let synced = try mirror.apply(first, to: tree)
        #expect(synced.written == 5 && synced.removed == 0)
        let ctx = tree.contextPath
        #expect(try String(contentsOfFile: ctx + "/dir/same.txt", encoding: .utf8) == "alpha")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: ctx + "/link") == "a.txt")
        let attributes = try FileManager.default.attributesOfItem(atPath: ctx + "/dir/b.sh")
        #expect((attributes[.posixPermissions] as? Int) == 0o755)
        #expect(((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0).rounded() == 1_700_000_000)

        // Unchanged: nothing to send, nothing to write.
        #expect(mirror.missing(first).isEmpty)
        let again = try mirror.apply(first, to: tree)
        #expect(again.written == 0 && again.removed == 0)

        // A changed file, a removed directory, a link that became a directory.
        let second = ContextManifest(entries: [
            Self.entry("a.txt", .file, "gamma"), Self.entry("link", .directory), Self.entry("link/c", .file, "alpha"),
        ])
        #expect(try Self.send(["gamma"], to: mirror, manifest: second) == [Digest.sha256("gamma").value])
        let changed = try mirror.apply(second, to: tree)
        #expect(changed.written == 3)
        #expect(try String(contentsOfFile: ctx + "/a.txt", encoding: .utf8) == "gamma")
        #expect(try String(contentsOfFile: ctx + "/link/c", encoding: .utf8) == "alpha")
        #expect(!FileManager.default.fileExists(atPath: ctx + "/dir"))
        #expect(tree.manifest() == second)

        // Blobs no manifest names go; the rest stay.
        mirror.prune()
        #expect(!FileManager.default.fileExists(atPath: mirror.blobPath(Digest.sha256("beta").value)))
        #expect(FileManager.default.fileExists(atPath: mirror.blobPath(Digest.sha256("alpha").value)))
    }

    @Test func aManifestCannotWriteThroughALinkOfItsOwn() throws {
        let root = TempDirectory()
        let outside = TempDirectory()
        let mirror = try ContextMirror(root: StateRoot(path: root.path), clientID: "client-2")
        let tree = try mirror.lease(key: "hostile")
        // A link to the outside, then a file "under" it in the same manifest.
        let hostile = ContextManifest(entries: [Self.entry("escape", .symlink, target: outside.path),
                                                Self.entry("escape/planted", .file, "pwned")])
        try hostile.validate()
        _ = try Self.send(["pwned"], to: mirror, manifest: hostile)
        #expect(throws: (any Error).self) { _ = try mirror.apply(hostile, to: tree) }
        #expect(!FileManager.default.fileExists(atPath: outside.path + "/planted"))
        // An interrupted apply leaves no manifest: the next build starts the copy over.
        #expect(tree.manifest() == nil)
        let clean = ContextManifest(entries: [Self.entry("ok", .file, "pwned")])
        #expect(try mirror.apply(clean, to: tree).written == 1)
        #expect(!FileManager.default.fileExists(atPath: tree.contextPath + "/escape"))
    }

    @Test func bytesThatDoNotMatchTheirDigestAreNotStored() throws {
        let root = TempDirectory()
        let mirror = try ContextMirror(root: StateRoot(path: root.path), clientID: "client-3")
        let receiver = try BlobReceiver(mirror: mirror, digest: Digest.sha256("expected").value)
        try receiver.append(Data("something else".utf8))
        #expect(throws: RemoteBuildError.self) { try receiver.finish() }
        #expect(!FileManager.default.fileExists(atPath: mirror.blobPath(Digest.sha256("expected").value)))
        #expect(throws: RemoteBuildError.self) { _ = try ContextMirror(root: StateRoot(path: root.path), clientID: "../x") }
        #expect(throws: RemoteBuildError.self) { _ = try mirror.lease(key: "a/b") }
    }

    @Test func theCopysDigestsSeedTheBuildsStatCache() async throws {
        let root = TempDirectory()
        let state = StateRoot(path: root.path)
        let mirror = try ContextMirror(root: state, clientID: "client-6")
        let tree = try mirror.lease(key: "seeded")
        let manifest = ContextManifest(entries: [Self.entry("a.txt", .file, "alpha"), Self.entry("d", .directory),
                                                 Self.entry("d/b.txt", .file, "beta")])
        _ = try Self.send(["alpha", "beta"], to: mirror, manifest: manifest)
        _ = try mirror.apply(manifest, to: tree)
        mirror.seedStatCache(manifest, tree: tree, root: state)
        let loaded = try await BuildContext.load(root: tree.contextPath, patterns: [], statCacheIn: state)
        #expect(loaded.filesHashed == 0)
        #expect(loaded.contents["d/b.txt"] == Digest.sha256("beta").value && loaded.contents["a.txt"] == Digest.sha256("alpha").value)
    }

    @Test func copiesUnusedForAWeekGoWithTheirBlobs() throws {
        let root = TempDirectory()
        let mirror = try ContextMirror(root: StateRoot(path: root.path), clientID: "client-5")
        let manifest = ContextManifest(entries: [Self.entry("old.txt", .file, "old bytes")])
        var tree: MirrorTree? = try mirror.lease(key: "old")
        _ = try Self.send(["old bytes"], to: mirror, manifest: manifest)
        _ = try mirror.apply(manifest, to: try #require(tree))
        let path = try #require(tree).path
        let busy = try mirror.lease(key: "busy")
        _ = try mirror.apply(ContextManifest(entries: []), to: busy)
        let longAgo = Date().addingTimeInterval(-8 * 86_400)
        for p in [path + "/manifest.json", busy.path + "/manifest.json"] {
            try FileManager.default.setAttributes([.modificationDate: longAgo], ofItemAtPath: p)
        }
        tree = nil   // its build ended; "busy" is still leased
        mirror.prune()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: mirror.blobPath(Digest.sha256("old bytes").value)))
        #expect(FileManager.default.fileExists(atPath: busy.path + "/manifest.json"))
    }

    @Test func busyTreesGoToASibling() throws {
        let root = TempDirectory()
        let mirror = try ContextMirror(root: StateRoot(path: root.path), clientID: "client-4")
        let a = try mirror.lease(key: "same")
        let b = try mirror.lease(key: "same")
        #expect(a.path != b.path && b.path.hasSuffix("same-1"))
    }

    @Test func theAgentRelayCarriesBytesBothWays() throws {
        // The client's agent: echoes what it gets.
        let dir = TempDirectory()
        let agentPath = dir.path + "/agent.sock"
        let agent = try UnixSocket.listen(at: agentPath)
        Thread.detachNewThread {
            while let c = agent.accept() {
                Thread.detachNewThread {
                    while true {
                        let d = c.receive()
                        if d.isEmpty { break }
                        c.send(Data("echo:".utf8) + d)
                    }
                }
            }
        }
        defer { agent.shutdown() }
        // Two sessions' worth of pipes: remote → client and client → remote.
        let (toClientR, toClientW) = Self.pipe()
        let (toRemoteR, toRemoteW) = Self.pipe()
        let remoteWriter = FrameWriter(fd: toClientW)
        let clientWriter = FrameWriter(fd: toRemoteW)
        let remoteChannels = AgentChannels(writer: remoteWriter)
        let clientChannels = AgentChannels(writer: clientWriter)
        let listeners = try AgentListeners(ids: ["default"], channels: remoteChannels, writer: remoteWriter)
        defer { listeners.stop() }
        Thread.detachNewThread {
            let reader = FrameReader(fd: toClientR)
            while let f = try? reader.next() {
                if f.kind == .agentOpen, let c = try? UnixSocket.connect(to: agentPath) {
                    clientChannels.attach(c, channel: f.channel)
                } else {
                    clientChannels.deliver(f)
                }
            }
        }
        Thread.detachNewThread {
            let reader = FrameReader(fd: toRemoteR)
            while let f = try? reader.next() { remoteChannels.deliver(f) }
        }
        let step = try UnixSocket.connect(to: try #require(listeners.paths["default"]))
        step.send(Data("hello".utf8))
        #expect(step.receive() == Data("echo:hello".utf8))
        let mode = (try FileManager.default.attributesOfItem(atPath: listeners.directory)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o700)
        listeners.stop()
        #expect(!FileManager.default.fileExists(atPath: listeners.directory))
    }

    @Test func theRemoteAdmitsOnlyWhatItGrants() throws {
        let root = TempDirectory()
        let state = StateRoot(path: root.path)
        var spec = RemoteBuildSpec(request: BuildRequest(contextPath: "/ctx"), buildID: "abc123", clientID: "c", contextKey: "k",
                                   contextLabel: "h:/ctx", manifest: ContextManifest(entries: []), dockerfile: Data(), dockerignore: nil,
                                   detach: false)
        #expect(throws: Never.self) { try RemoteBuildServer.admit(spec, root: state, environment: [:]) }
        for id in ["../../../../run/docker", "a/b", ".hidden", "x.jsonl", ""] {
            spec.buildID = id
            #expect(throws: RemoteBuildError.self, "\(id)") { try RemoteBuildServer.admit(spec, root: state, environment: [:]) }
        }
        // An id that has a record already is another build's.
        spec.buildID = "taken"
        let record = try BuildHistory(state).recordURL(forNewID: "taken")
        try FileManager.default.createDirectory(at: record.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data().write(to: record)
        #expect(throws: RemoteBuildError.self) { try RemoteBuildServer.admit(spec, root: state, environment: [:]) }
        spec.buildID = "fresh"
        spec.runtime = "/tmp/uploaded-binary"
        #expect(throws: RemoteBuildError.self) { try RemoteBuildServer.admit(spec, root: state, environment: [:]) }
        spec.runtime = "runc"
        spec.allow = ["security.insecure"]
        #expect(throws: RemoteBuildError.self) { try RemoteBuildServer.admit(spec, root: state, environment: [:]) }
        #expect(throws: Never.self) {
            try RemoteBuildServer.admit(spec, root: state, environment: ["SWBUILD_REMOTE_ALLOW": "network.host,security.insecure"])
        }
    }

    @Test func namesAreBytesAndTimesFloor() throws {
        // "é" precomposed and decomposed: two names on disk, one String to Swift.
        let manifest = ContextManifest(entries: [Self.entry("caf\u{e9}", .file, "a"), Self.entry("cafe\u{301}", .file, "b")])
        #expect(throws: Never.self) { try manifest.validate() }
        #expect(ContextManifest.timespecParts(-1) == (-1, 999_999_999))
        #expect(ContextManifest.timespecParts(1_500_000_000) == (1, 500_000_000))
    }

    @Test func theSpecRoundTripsTheRequestAndRefusesClientPaths() throws {
        var request = BuildRequest(contextPath: "/ctx", dockerfilePath: "/elsewhere/Dockerfile.prod", target: "app", buildArgs: ["A": "1"],
                                   tags: ["t:1"], outputs: [OutputSpec(kind: .local, destination: "/out"), OutputSpec(kind: .image, push: true)],
                                   secrets: ["s": Data("v".utf8)], sshAgents: ["default": "/agent"])
        request.cacheFrom = [CacheSpec(location: .registry("r/cache"), max: true)]
        request.labels = ["k": "v"]
        let spec = RemoteBuildSpec(request: request, buildID: "b", clientID: "c", contextKey: "k", contextLabel: "h:/ctx",
                                   manifest: ContextManifest(entries: []), dockerfile: Data("FROM x".utf8), dockerignore: nil, detach: false)
        let decoded = try JSONDecoder().decode(RemoteBuildSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded.safeDockerfileName == "Dockerfile.prod")
        let root = TempDirectory()
        let mirror = try ContextMirror(root: StateRoot(path: root.path), clientID: "c")
        let tree = try mirror.lease(key: "k")
        let remote = try decoded.request(tree: tree, agents: ["default": "/remote/agent"])
        #expect(remote.outputs[0].destination == tree.outputDirectory + "/0" && remote.outputs[1].push)
        #expect(remote.cacheFrom == request.cacheFrom && remote.labels == ["k": "v"] && remote.secrets == request.secrets)
        #expect(remote.sshAgents == ["default": "/remote/agent"] && remote.contextLabel == "h:/ctx")
        var hostile = decoded
        hostile.buildContexts = ["x": "/etc"]
        #expect(throws: RemoteBuildError.self) { _ = try hostile.request(tree: tree, agents: [:]) }
        hostile = decoded
        hostile.dockerfileName = "../../etc/passwd"
        #expect(hostile.safeDockerfileName == "passwd")
    }
}
