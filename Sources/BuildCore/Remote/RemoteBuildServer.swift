import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The remote end of `swbuild-tui -H ssh://… build`: `swbuild-tui bridge build`, started by the
/// client's ssh, after the bridge's request and reply lines. It takes the spec, asks for the
/// context files its store lacks, brings its copy of the context up to date, runs the build
/// with this machine's engine (record, attach socket and all, as any build here) and streams
/// the events, then the client's outputs, back.
///
/// The client's going away cancels the build: the end of the session, or silence for
/// `silenceLimit` seconds (a frozen connection), unless the spec says `detach`. A canceled build
/// that has not ended after `cancelLimit` seconds has its processes killed and the bridge exits,
/// so nothing stays behind on this machine either way.
public enum RemoteBuildServer {
    /// The frames' version: a client and a remote build together only when theirs agree.
    public static let protocolVersion = 1
    static let silenceLimit = 6.0
    static let cancelLimit = 3.0

    static func serve(root: StateRoot, input: Int32, output: Int32) async -> Int32 {
        let writer = FrameWriter(fd: output)
        let reader = FrameReader(fd: input)
        // The heartbeat runs from the first frame on: a client that goes quiet while sending a
        // large spec or context is told apart from one that is slow.
        let control = Control()
        let heartbeat = Heartbeat(writer: writer, limit: RemoteBuildServer.silenceLimit) { control.silence() }
        reader.heard = { heartbeat.heard() }
        defer { heartbeat.stop() }
        do {
            var next = try reader.next()
            while next?.kind == .ping { next = try reader.next() }
            guard let first = next, first.kind == .spec else { throw RemoteBuildError.protocolError("expected the build spec") }
            let spec: RemoteBuildSpec
            do {
                spec = try JSONDecoder().decode(RemoteBuildSpec.self, from: first.payload)
            } catch {
                throw RemoteBuildError.protocolError("the build spec does not decode: \(error)")
            }
            try spec.manifest.validate()
            try admit(spec, root: root)
            if spec.detach {
                // The client leaves once the build runs; ssh's hangup must not end it.
                signal(SIGHUP, SIG_IGN)
            }
            let mirror = try ContextMirror(root: root, clientID: spec.clientID)
            let tree = try mirror.lease(key: spec.contextKey)
            let session = Session(spec: spec, root: root, mirror: mirror, tree: tree, reader: reader, writer: writer, heartbeat: heartbeat)
            control.set(session)
            let status = try await session.run()
            mirror.prune()
            return status
        } catch {
            writer.send(.end, json: RemoteEnd(status: .failed, error: "\(error)", outputs: []))
            return 1
        }
    }

    /// What this machine lets a client ask for: a fresh build id of its own, an OCI runtime by
    /// name, and only the entitlements `SWBUILD_REMOTE_ALLOW` (comma-separated, in the remote
    /// command's environment) grants, as buildkitd's `--allow-insecure-entitlement` does.
    static func admit(_ spec: RemoteBuildSpec, root: StateRoot,
                      environment: [String: String] = ProcessInfo.processInfo.environment) throws(RemoteBuildError) {
        guard BuildHistory.isValidID(spec.buildID), !spec.buildID.contains("."),
              (try? BuildHistory(root).recordURL(forNewID: spec.buildID)).map({ !FileManager.default.fileExists(atPath: $0.path) }) == true,
              !FileManager.default.fileExists(atPath: AttachServer.socketPath(root: root, buildID: spec.buildID)) else {
            throw .refused("remote build: the build id \(GoQuote.quote(spec.buildID)) is not a new one")
        }
        if let runtime = spec.runtime, runtime != "crun" && runtime != "runc" {
            throw .refused("remote build: --oci-runtime \(GoQuote.quote(runtime)): a remote build takes crun or runc")
        }
        let granted = Set((environment["SWBUILD_REMOTE_ALLOW"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        for entitlement in spec.allow where !granted.contains(entitlement) {
            throw .refused("remote build: --allow \(entitlement) is not granted on this machine (SWBUILD_REMOTE_ALLOW=\(entitlement) "
                           + "in the remote command grants it)")
        }
    }

    /// What the heartbeat's silence means at each moment: before the build starts there is
    /// nothing to cancel and the bridge just leaves.
    final class Control: @unchecked Sendable {
        private let lock = NSLock()
        private var session: Session?

        func set(_ session: Session) { lock.withLock { self.session = session } }

        func silence() {
            guard let session = lock.withLock({ session }) else { Foundation.exit(1) }
            session.clientGone()
        }
    }

    /// One build's session, once the spec is in and its tree is leased.
    final class Session: @unchecked Sendable {
        let spec: RemoteBuildSpec
        let root: StateRoot
        let mirror: ContextMirror
        let tree: MirrorTree
        let reader: FrameReader
        let writer: FrameWriter
        let heartbeat: Heartbeat
        private let lock = NSLock()
        private var buildTask: Task<BuildOutcome, Never>?
        private var agents: AgentListeners?
        /// The build has ended: the client's leaving now cancels nothing.
        private var ended = false

        init(spec: RemoteBuildSpec, root: StateRoot, mirror: ContextMirror, tree: MirrorTree, reader: FrameReader, writer: FrameWriter,
             heartbeat: Heartbeat) {
            self.spec = spec
            self.root = root
            self.mirror = mirror
            self.tree = tree
            self.reader = reader
            self.writer = writer
            self.heartbeat = heartbeat
        }

        func run() async throws -> Int32 {
            guard try receiveContext() else {
                writer.send(.end, json: RemoteEnd(status: .canceled, error: "build canceled", outputs: []))
                return 130
            }
            // Nothing reads the client's frames while the copy is made: its silence means nothing then.
            let synced = try heartbeat.holding {
                let synced = try mirror.apply(spec.manifest, to: tree)
                if synced.bytes >= 16 << 20 { mirror.seedStatCache(spec.manifest, tree: tree, root: root) }
                try writeDockerfile()
                try? FileManager.default.removeItem(atPath: tree.outputDirectory)
                mkdir(tree.outputDirectory, 0o700)
                return synced
            }
            defer { try? FileManager.default.removeItem(atPath: tree.outputDirectory) }
            writer.send(.synced, json: synced)

            let channels = AgentChannels(writer: writer)
            let agents = try AgentListeners(ids: spec.sshAgents, channels: channels, writer: writer)
            lock.withLock { self.agents = agents }
            defer {
                agents.stop()
                channels.closeAll()
            }
            let request = try spec.request(tree: tree, agents: agents.paths)
            let build = Build(request: request, root: root, buildID: spec.buildID)
            let bus = EventBus()
            let events = await bus.subscribe()
            let task = Task { await build.run(bus: bus) }
            // The client's cancel frames are read from here on (they wait in the pipe until then).
            lock.withLock { buildTask = task }
            Thread.detachNewThread { [self] in readControl(channels) }
            // Written by a thread of its own: a client that reads slowly must not hold a thread of
            // the pool the build runs on.
            let pump = LinePump(writer: writer)
            for await event in events {
                var line: [UInt8] = []
                event.appendRecordLine(to: &line)
                pump.push(line)
            }
            let outcome = await task.value
            lock.withLock { ended = true }
            await pump.finish()
            if outcome.status == .succeeded { sendOutputs() }
            // What stayed here (images, pushes); the client says where its own outputs went.
            let own = outcome.outputs.filter { !$0.contains(tree.outputDirectory) }
            writer.send(.end, json: RemoteEnd(status: outcome.status, error: outcome.errorText, imageDigest: outcome.imageDigest,
                                              outputs: own))
            return outcome.status == .succeeded ? 0 : outcome.status == .canceled ? 130 : 1
        }

        /// The blobs the store lacks, in the order asked for; false when the client canceled.
        private func receiveContext() throws -> Bool {
            let need = mirror.missing(spec.manifest)
            writer.send(.need, json: need)
            for digest in need {
                let receiver = try BlobReceiver(mirror: mirror, digest: digest)
                var done = false
                while !done {
                    guard let frame = try reader.next() else {
                        receiver.abandon()
                        throw RemoteBuildError.connectionLost("the client left while sending the context")
                    }
                    switch frame.kind {
                    case .blobData:
                        do {
                            try receiver.append(frame.payload)
                        } catch {
                            receiver.abandon()
                            throw error
                        }
                    case .blobEnd:
                        try receiver.finish()
                        done = true
                    case .cancel:
                        receiver.abandon()
                        return false
                    case .ping:
                        continue
                    default:
                        receiver.abandon()
                        throw RemoteBuildError.protocolError("unexpected frame \(frame.kind) while receiving the context")
                    }
                }
            }
            return true
        }

        private func writeDockerfile() throws {
            let df = tree.path + "/df"
            try? FileManager.default.removeItem(atPath: df)
            mkdir(df, 0o700)
            try AtomicFile.write(spec.dockerfile, to: df + "/" + spec.safeDockerfileName, mode: 0o600, durable: false)
            if let ignore = spec.dockerignore {
                try AtomicFile.write(ignore, to: df + "/" + spec.safeDockerfileName + ".dockerignore", mode: 0o600, durable: false)
            }
        }

        /// The client's frames during the build: cancel, agent traffic, pings; its end.
        private func readControl(_ channels: AgentChannels) {
            while true {
                let frame: RemoteFrame.Frame?
                do {
                    frame = try reader.next()
                } catch {
                    frame = nil
                }
                guard let frame else {
                    clientGone()
                    return
                }
                switch frame.kind {
                case .cancel: cancel()
                case .agentData, .agentClose: channels.deliver(frame)
                default: continue
                }
            }
        }

        func clientGone() {
            let (building, done, agents) = lock.withLock { (buildTask != nil, ended, self.agents) }
            if !building || (done && !spec.detach) {
                // Still waiting for the context, or the build is over and recorded: nothing to
                // cancel, and a write or read blocked on the gone client may never return.
                agents?.stop()
                Foundation.exit(1)
            }
            if spec.detach {
                writer.close()
                return
            }
            cancel()
        }

        /// Cancels the build; if it has not ended `cancelLimit` seconds later, its processes are
        /// killed, and if even that does not end it, the bridge exits (leaving its private mount
        /// namespace, which takes every mount of the build with it).
        func cancel() {
            let task = lock.withLock { ended ? nil : buildTask }
            guard let task else { return }
            task.cancel()
            Thread.detachNewThread { [self] in
                usleep(UInt32(RemoteBuildServer.cancelLimit * 1_000_000))
                if lock.withLock({ ended }) { return }
                Watchdog.killDescendants()
                usleep(2_000_000)
                if lock.withLock({ ended }) { return }
                lock.withLock { agents }?.stop()
                Foundation.exit(130)
            }
        }

        /// The client's outputs, from `out/`, as frames; a failure is the end frame's text.
        private func sendOutputs() {
            for (i, output) in spec.outputs.enumerated() where output.kind != "image" {
                let path = tree.outputDirectory + "/\(i)"
                let channel = UInt32(i)
                do {
                    writer.send(.outputBegin, channel: channel)
                    if output.kind == "local" {
                        let sink = FrameSink(writer: writer, channel: channel)
                        let tar = TarWriter(sink: sink)
                        try tar.appendDirectory(path, format: .plain)
                        try tar.finish()
                        try sink.finish()
                    } else {
                        let source = try FileSource(path: path)
                        let sink = FrameSink(writer: writer, channel: channel)
                        _ = try source.pipe(to: sink)
                        try sink.finish()
                    }
                    writer.send(.outputEnd, channel: channel)
                } catch {
                    writer.send(.outputEnd, channel: channel, Data("\(error)".utf8))
                }
            }
        }
    }
}

/// Build-record lines on their way to the client, written by a thread of their own in batches
/// of whole lines (a frame never splits a line).
final class LinePump: @unchecked Sendable {
    private let writer: FrameWriter
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var finished = false
    private var drained = false

    init(writer: FrameWriter) {
        self.writer = writer
        Thread.detachNewThread { [self] in run() }
    }

    func push(_ line: [UInt8]) {
        condition.lock()
        pending.append(contentsOf: line)
        condition.signal()
        condition.unlock()
    }

    /// Waits (off the pool) until every line pushed is written or the client is gone.
    func finish() async {
        _ = try? await Blocking.run { [self] in
            condition.lock()
            finished = true
            condition.signal()
            while !drained { condition.wait() }
            condition.unlock()
        }
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !finished { condition.wait() }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            let last = finished && batch.isEmpty
            condition.unlock()
            if last { break }
            _ = batch.withUnsafeBytes { writer.send(.events, $0) }
        }
        condition.lock()
        drained = true
        condition.broadcast()
        condition.unlock()
    }
}

/// Bytes of an output as `outputData` frames of up to a chunk each.
final class FrameSink: ByteSink {
    private let writer: FrameWriter
    private let channel: UInt32
    private var buffer: [UInt8] = []

    init(writer: FrameWriter, channel: UInt32) {
        self.writer = writer
        self.channel = channel
        buffer.reserveCapacity(RemoteFrame.chunk)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= RemoteFrame.chunk { try flush() }
    }

    func finish() throws { try flush() }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let ok = buffer.withUnsafeBytes { writer.send(.outputData, channel: channel, $0) }
        buffer.removeAll(keepingCapacity: true)
        if !ok { throw RemoteBuildError.connectionLost("the client left while an output was sent") }
    }
}

/// The last resort of a canceled build that does not end: kills every process below this one.
enum Watchdog {
    static func killDescendants() {
        let me = getpid()
        var parents: [Int32: Int32] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parents[pid] = ppid }
        }
        for pid in parents.keys {
            var p = parents[pid]
            var depth = 0
            while let parent = p, parent > 1, depth < 64 {
                if parent == me {
                    kill(pid, SIGKILL)
                    break
                }
                p = parents[parent]
                depth += 1
            }
        }
    }
}
