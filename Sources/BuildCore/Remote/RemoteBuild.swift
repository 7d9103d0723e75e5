import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `swbuild-tui -H ssh://… build`: swbuild on another machine builds, this one shows it.
///
/// The build is this machine's build as far as every viewer goes: the same record (a copy of
/// the remote's event stream, so `history` and `replay` work offline), attach socket and bus,
/// with one step of its own, `[internal] send context to ssh://…`. The remote runs it with its
/// own engine and keeps its own record (`-H … history`, `-H … attach` find it there).
extension Build {
    /// What a remote build cannot take, said before anything is sent.
    static func remoteRefusals(_ request: BuildRequest) -> String? {
        if request.engine != nil { return "--builder docker builds on a Docker engine; it cannot be combined with --host ssh://…" }
        for (name, value) in request.buildContexts.sorted(by: { $0.key < $1.key }) where !value.hasPrefix("docker-image://") {
            return "--build-context \(name)=\(value): a remote build takes docker-image:// contexts only (the remote cannot read this machine's files)"
        }
        for cache in request.cacheTo + request.cacheFrom {
            if case .local(let dir) = cache.location {
                return "a type=local cache (\(dir)) is on this machine; a remote build takes registry caches (type=registry,ref=…)"
            }
        }
        if request.detach && request.outputs.contains(where: { $0.kind != .image }) {
            return "--detach cannot bring outputs back; keep the image on the remote with -t, or push it with --push"
        }
        if request.detach && !request.sshAgents.isEmpty {
            return "--detach cannot forward --ssh: the agent's relay ends when this client leaves"
        }
        return nil
    }

    /// This client's id on remotes: made once, kept in the state root.
    static func clientID(root: StateRoot) -> String {
        let path = root.subdirectory("client-id")
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if ContextMirror.isSafeName(id) { return id }
        }
        let id = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try? AtomicFile.write(Data((id + "\n").utf8), to: path, mode: 0o600, durable: false)
        return id
    }

    func executeRemotely(_ url: String, text: String, events: AsyncStream<BuildEvent>.Continuation, started: Date) async -> BuildOutcome {
        if let refusal = Self.remoteRefusals(request) { return finish(events, .failed, started: started, error: refusal) }
        let host: SSHBuildHost
        do {
            host = try SSHBuildHost(url: url)
        } catch {
            return finish(events, .failed, started: started, error: "\(error)")
        }
        let vertex = Digest.sha256("send context:" + buildID)
        events.yield(BuildEvent(.plan([PlannedVertex(digest: vertex, name: "[internal] send context to \(url)", inputs: [], stage: nil,
                                                     startLine: nil, endLine: nil)])))
        events.yield(BuildEvent(.vertexStarted(vertex)))
        let client = RemoteBuildClient(build: self, host: host, url: url, vertex: vertex, events: events)
        let result = await client.run(dockerfile: Data(text.utf8))
        switch result {
        case .failure(let status, let message):
            let (steps, cached) = client.counts
            return finish(events, status, started: started, steps: steps, cached: cached, error: message)
        case .success(let end, let outputs):
            let (steps, cached) = client.counts
            return finish(events, .succeeded, started: started, steps: steps, cached: cached, image: end.imageDigest,
                          outputs: end.outputs + outputs)
        case .detached:
            return finish(events, .succeeded, started: started,
                          outputs: ["running on \(url) as \(buildID): swbuild-tui -H \(url) attach \(buildID)"])
        }
    }
}

/// The client's side of one remote build session.
final class RemoteBuildClient: @unchecked Sendable {
    enum Result {
        case success(RemoteEnd, outputs: [String])
        case failure(BuildFinish.Status, String)
        case detached
    }

    /// Silence after which the connection counts as lost (the remote pings every second).
    static let silenceLimit = 8.0
    /// How long a canceled build may take to say it ended before ssh is closed on it.
    static let cancelWait = 10.0

    let build: Build
    let host: SSHBuildHost
    let url: String
    let vertex: Digest
    let events: AsyncStream<BuildEvent>.Continuation
    private let lock = NSLock()
    private var running: Set<Digest> = []
    private var remoteFinish: BuildFinish?
    private var lost: String?
    private var canceled = false
    /// A detached build's first event arrived: it runs there.
    private var startedThere = false

    init(build: Build, host: SSHBuildHost, url: String, vertex: Digest, events: AsyncStream<BuildEvent>.Continuation) {
        self.build = build
        self.host = host
        self.url = url
        self.vertex = vertex
        self.events = events
    }

    /// Steps that ended on the remote, and of them those its cache served.
    var counts: (Int, Int) { lock.withLock { (remoteFinish?.steps ?? 0, remoteFinish?.cachedSteps ?? 0) } }

    func run(dockerfile: Data) async -> Result {
        let request = build.request
        let contextStarted = Date()
        // ssh connects while the context is read.
        let connecting = Task { [host] in try await Blocking.run { try host.openBuildSession() } }
        let manifest: ContextManifest
        let ignore: Data?
        do {
            let (patterns, ignoreFile) = ContextWalker.ignorePatterns(context: request.contextPath, dockerfile: request.dockerfilePath)
            ignore = ignoreFile.flatMap { try? ScopedPath.read(PathText.lastComponent(of: $0), in: PathText.parent(of: $0), limit: 16 << 20) }
            let context = try await BuildContext.load(root: request.contextPath, patterns: patterns, ignoreFile: ignoreFile,
                                                      statCacheIn: build.root)
            manifest = ContextManifest(context: context)
        } catch {
            connecting.cancel()
            (try? await connecting.value)?.kill()
            return failContext("cannot read the context: \(error)", started: contextStarted)
        }
        let session: BridgeSession
        do {
            session = try await withTaskCancellationHandler {
                try await connecting.value
            } onCancel: {
                connecting.cancel()
            }
        } catch {
            return failContext("\(error)", started: contextStarted)
        }
        defer { session.kill() }
        if Task.isCancelled { return cancelContext(started: contextStarted) }

        let writer = FrameWriter(fd: session.input.fileHandleForWriting.fileDescriptor)
        let reader = FrameReader(fd: session.output.fileHandleForReading.fileDescriptor)
        let heartbeat = Heartbeat(writer: writer, limit: Self.silenceLimit) { [self] in
            lock.withLock { lost = "no answer from \(url) for \(Int(Self.silenceLimit)) s" }
            reader.abandoned.set()
            session.kill()
        }
        reader.heard = { heartbeat.heard() }
        defer { heartbeat.stop() }
        // The client id says which machine; the key, which of its context directories.
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        let hostName = String(cString: name)
        let spec = RemoteBuildSpec(request: request, buildID: build.buildID, clientID: Build.clientID(root: build.root),
                                   contextKey: String(Digest.sha256(request.contextPath).value.dropFirst(7).prefix(32)),
                                   contextLabel: hostName + ":" + request.contextPath, manifest: manifest, dockerfile: dockerfile,
                                   dockerignore: ignore, detach: request.detach)
        guard writer.send(.spec, json: spec) else { return failContext(sessionError(session), started: contextStarted) }

        // The context: what the remote lacks, then its word that its copy is in place.
        // Blocking reads and writes, on a thread of their own (the pool keeps serving the screen).
        let synced: ContextSynced
        let sentBytes: Int64
        let sentFiles: Int
        let stop = Flag()
        do {
            let sent = try await withTaskCancellationHandler {
                try await Blocking.run { [self] () throws -> (Int, Int64, ContextSynced?) in
                    let need = try expect(.need, [String].self, reader, session)
                    let (files, bytes) = try sendBlobs(need, manifest: manifest, writer: writer, stop: stop)
                    if stop.isSet { return (files, bytes, nil) }
                    return (files, bytes, try expect(.synced, ContextSynced.self, reader, session))
                }
            } onCancel: {
                stop.set()
            }
            guard let answer = sent.2, !stop.isSet else {
                writer.send(.cancel)
                return cancelContext(started: contextStarted)
            }
            (sentFiles, sentBytes, synced) = (sent.0, sent.1, answer)
        } catch let error as EndedEarly {
            return failContext(error.message, started: contextStarted, status: error.status)
        } catch {
            var message = lock.withLock { lost } ?? "\(error)"
            if case RemoteBuildError.connectionLost = error {
                // The remote stopped reading: its last frame may say why (bytes that did not
                // match their digest: a file changed while it was sent).
                do {
                    _ = try expect(.synced, ContextSynced.self, reader, session)
                } catch let early as EndedEarly {
                    message = early.message
                } catch {}
            }
            return failContext(message, started: contextStarted)
        }
        let total = manifest.fileBytes
        let percent = total > 0 ? Double(sentBytes) * 100 / Double(total) : 0
        events.yield(BuildEvent(.log(LogChunk(digest: vertex, stream: 1, data: Data((
            "context: \(manifest.fileCount) files, \(ByteCount.format(total)); sent \(sentFiles) files, \(ByteCount.format(sentBytes)) "
                + "(\(String(format: "%.2f", percent))%); the remote copy: \(synced.written) written, \(synced.removed) removed\n").utf8)))))
        events.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: vertex, status: .done,
                                                                  duration: Date().timeIntervalSince(contextStarted)))))

        // The build: its events, the outputs, the end.
        let outputs = ReceivedOutputs(request: request, root: build.root)
        let agents = AgentChannels(writer: writer)
        defer {
            agents.closeAll()
            outputs.abandon()
        }
        let loop = Task { [self] in
            try? await Blocking.run { [self] in receive(reader, writer: writer, outputs: outputs, agents: agents, detach: request.detach) }
        }
        let end: RemoteEnd? = await withTaskCancellationHandler {
            await loop.value
        } onCancel: { [self] in
            lock.withLock { canceled = true }
            writer.send(.cancel)
            // The remote says how its build ended; one that does not say so in time is closed.
            Thread.detachNewThread {
                let deadline = Date().addingTimeInterval(Self.cancelWait)
                while Date() < deadline {
                    usleep(100_000)
                    if session.hasEnded { return }
                }
                session.kill()
            }
        }
        if request.detach, end == nil, lock.withLock({ startedThere && lost == nil && remoteFinish == nil }) {
            return .detached
        }
        guard let end else {
            closeOpenSteps(error: "lost the connection")
            let wasCanceled = lock.withLock { canceled }
            if wasCanceled { return .failure(.canceled, "build canceled") }
            return .failure(.failed, "remote build on \(url): " + (lock.withLock { lost } ?? sessionError(session)))
        }
        switch end.status {
        case .succeeded:
            if let failure = outputs.failure { return .failure(.failed, failure) }
            return .success(end, outputs: outputs.written)
        case .canceled:
            closeOpenSteps(error: nil)
            return .failure(.canceled, "build canceled")
        case .failed:
            closeOpenSteps(error: nil)
            return .failure(.failed, end.error ?? "remote build failed")
        }
    }

    /// Frames until the remote's end (nil when the session ended without one). A detached build
    /// stops at its first event: the remote runs it on without us.
    private func receive(_ reader: FrameReader, writer: FrameWriter, outputs: ReceivedOutputs, agents: AgentChannels,
                         detach: Bool) -> RemoteEnd? {
        while true {
            let next: RemoteFrame.Frame?
            do {
                next = try reader.next()
            } catch RemoteBuildError.protocolError(let message) {
                lock.withLock { lost = lost ?? "protocol error: \(message)" }
                return nil
            } catch {
                return nil
            }
            guard let frame = next else { return nil }
            switch frame.kind {
            case .events:
                for event in BuildRecord.decode(frame.payload).events {
                    relay(event)
                    if detach {
                        lock.withLock { startedThere = true }
                        return nil
                    }
                }
            case .outputBegin, .outputData, .outputEnd:
                outputs.take(frame)
            case .agentOpen:
                let id = String(decoding: frame.payload, as: UTF8.self)
                if let path = build.request.sshAgents[id], let socket = try? UnixSocket.connect(to: path) {
                    agents.attach(socket, channel: frame.channel)
                } else {
                    writer.send(.agentClose, channel: frame.channel)
                }
            case .agentData, .agentClose:
                agents.deliver(frame)
            case .end:
                return try? JSONDecoder().decode(RemoteEnd.self, from: frame.payload)
            default:
                continue
            }
        }
    }

    /// An event of the remote build, as this build's: the remote's start and finish are its own
    /// (this build has its own, with the context step and the outputs it wrote here).
    private func relay(_ event: BuildEvent) {
        switch event.kind {
        case .buildStarted:
            return
        case .buildFinished(let finish):
            lock.withLock { remoteFinish = finish }
            return
        case .vertexStarted(let digest):
            _ = lock.withLock { running.insert(digest) }
        case .vertexCompleted(let completion):
            _ = lock.withLock { running.remove(completion.digest) }
        default:
            break
        }
        events.yield(event)
    }

    /// The steps still shown running when the remote could not say how they ended.
    private func closeOpenSteps(error: String?) {
        let steps = lock.withLock { () -> [Digest] in
            defer { running.removeAll() }
            return running.sorted()
        }
        for digest in steps {
            events.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: digest, status: .canceled, duration: 0, error: error))))
        }
    }

    /// The files the remote asked for, read below the context root as if it were `/`.
    private func sendBlobs(_ need: [String], manifest: ContextManifest, writer: FrameWriter, stop: Flag) throws -> (Int, Int64) {
        guard !need.isEmpty else { return (0, 0) }
        var paths: [String: String] = [:]
        var sizes: [String: Int64] = [:]
        for entry in manifest.entries where entry.kind == .file {
            if let d = entry.digest, paths[d] == nil {
                paths[d] = entry.path
                sizes[d] = entry.size
            }
        }
        let total = need.reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
        let progress = ByteProgress(digest: vertex, id: "context", total: total, events: events)
        let contextPath = build.request.contextPath
        let rootFD = open(contextPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw RemoteBuildError.io("cannot open \(contextPath): \(String(cString: strerror(errno)))") }
        defer { close(rootFD) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: RemoteFrame.chunk, alignment: 16)
        defer { buffer.deallocate() }
        var sent: Int64 = 0
        for digest in need {
            if stop.isSet { break }
            guard let path = paths[digest] else { throw RemoteBuildError.protocolError("the remote asked for \(digest), which is not in the context") }
            let fd = swb_openat_in_root(rootFD, path, O_RDONLY | O_NOFOLLOW, 0)
            guard fd >= 0 else { throw RemoteBuildError.io("cannot open \(contextPath)/\(path): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            while !stop.isSet {
                let n = read(fd, buffer.baseAddress, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw RemoteBuildError.io("cannot read \(contextPath)/\(path): \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                guard writer.send(.blobData, UnsafeRawBufferPointer(rebasing: buffer[0..<n])) else {
                    throw RemoteBuildError.connectionLost("the remote closed the session")
                }
                sent += Int64(n)
                progress.add(Int64(n))
            }
            if stop.isSet { break }
            writer.send(.blobEnd)
        }
        progress.complete()
        return (need.count, sent)
    }

    private struct EndedEarly: Error {
        var status: BuildFinish.Status
        var message: String
    }

    /// The next frame of `kind` (pings skipped), decoded; the remote's end frame instead is its
    /// error, the session's end is the ssh error.
    private func expect<T: Decodable>(_ kind: RemoteFrame.Kind, _ type: T.Type, _ reader: FrameReader, _ session: BridgeSession) throws -> T {
        while true {
            guard let frame = try reader.next() else {
                throw EndedEarly(status: .failed, message: lock.withLock { lost } ?? sessionError(session))
            }
            if frame.kind == .ping { continue }
            if frame.kind == .end {
                let end = try? JSONDecoder().decode(RemoteEnd.self, from: frame.payload)
                throw EndedEarly(status: end?.status ?? .failed, message: end?.error ?? "the remote ended the build")
            }
            guard frame.kind == kind else { throw RemoteBuildError.protocolError("expected \(kind), got \(frame.kind)") }
            do {
                return try JSONDecoder().decode(T.self, from: frame.payload)
            } catch {
                throw RemoteBuildError.protocolError("\(kind) does not decode: \(error)")
            }
        }
    }

    private func sessionError(_ session: BridgeSession) -> String {
        session.waitBriefly()
        return session.failure(target: host.target)
    }

    private func failContext(_ message: String, started: Date, status: BuildFinish.Status = .failed) -> Result {
        events.yield(BuildEvent(.vertexCompleted(VertexCompletion(digest: vertex, status: status == .canceled ? .canceled : .failed,
                                                                  duration: Date().timeIntervalSince(started), error: message))))
        return .failure(status, message)
    }

    private func cancelContext(started: Date) -> Result {
        failContext("build canceled", started: started, status: .canceled)
    }
}

/// The outputs coming back: each written beside its destination and moved into place at its
/// end (a directory's tar is unpacked into it, confined to it).
final class ReceivedOutputs: @unchecked Sendable {
    private let request: BuildRequest
    private let root: StateRoot
    private var files: [UInt32: (fd: Int32, path: String)] = [:]
    private(set) var written: [String] = []
    private(set) var failure: String?

    init(request: BuildRequest, root: StateRoot) {
        self.request = request
        self.root = root
    }

    func take(_ frame: RemoteFrame.Frame) {
        let i = Int(frame.channel)
        guard i < request.outputs.count, let dest = request.outputs[i].destination, failure == nil else { return }
        let output = request.outputs[i]
        switch frame.kind {
        case .outputBegin:
            let directory = root.subdirectory("tmp")
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = output.kind == .local ? directory + "/remote-output-\(UUID().uuidString.lowercased()).tar"
                                             : dest + ".partial-" + UUID().uuidString.lowercased().prefix(8)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return fail("cannot write \(path): \(String(cString: strerror(errno)))") }
            files[frame.channel] = (fd, path)
        case .outputData:
            guard let file = files[frame.channel] else { return }
            do {
                try frame.payload.withUnsafeBytes { try FileSink.writeAll(fd: file.fd, $0, path: file.path) }
            } catch {
                fail("\(error)")
            }
        case .outputEnd:
            guard let file = files.removeValue(forKey: frame.channel) else { return }
            close(file.fd)
            if !frame.payload.isEmpty {
                unlink(file.path)
                return fail("the remote could not send the \(output.kind.rawValue) output: " + String(decoding: frame.payload, as: UTF8.self))
            }
            do {
                if output.kind == .local {
                    defer { unlink(file.path) }
                    try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
                    var extractor = TarExtractor(mode: .add(destination: "/"))
                    extractor.keepOwners = getuid() == 0
                    try extractor.extract(TarReader(try FileSource(path: file.path)), into: dest)
                    written.append("directory \(dest)")
                } else {
                    guard rename(file.path, dest) == 0 else {
                        unlink(file.path)
                        throw ImageError.posix("rename", dest)
                    }
                    written.append("\(output.kind.rawValue == "tar" ? "tar" : output.kind.rawValue + " archive") \(dest)")
                }
            } catch {
                fail("cannot write \(dest): \(error)")
            }
        default:
            break
        }
    }

    private func fail(_ message: String) {
        if failure == nil { failure = message }
    }

    /// Removes what an interrupted transfer left.
    func abandon() {
        for file in files.values {
            close(file.fd)
            unlink(file.path)
        }
        files.removeAll()
    }
}
