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
        do {
            guard let first = try reader.next(), first.kind == .spec else { throw RemoteBuildError.protocolError("expected the build spec") }
            let spec: RemoteBuildSpec
            do {
                spec = try JSONDecoder().decode(RemoteBuildSpec.self, from: first.payload)
            } catch {
                throw RemoteBuildError.protocolError("the build spec does not decode: \(error)")
            }
            try spec.manifest.validate()
            if spec.detach {
                // The client leaves once the build runs; ssh's hangup must not end it.
                signal(SIGHUP, SIG_IGN)
            }
            let mirror = try ContextMirror(root: root, clientID: spec.clientID)
            let tree = try mirror.lease(key: spec.contextKey)
            let status = try await Session(spec: spec, root: root, mirror: mirror, tree: tree, reader: reader, writer: writer).run()
            mirror.prune()
            return status
        } catch {
            writer.send(.end, json: RemoteEnd(status: .failed, error: "\(error)", outputs: []))
            return 1
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
        private let lock = NSLock()
        private var buildTask: Task<BuildOutcome, Never>?
        private var canceled = false
        /// The build has ended: the client's leaving now cancels nothing.
        private var ended = false

        init(spec: RemoteBuildSpec, root: StateRoot, mirror: ContextMirror, tree: MirrorTree, reader: FrameReader, writer: FrameWriter) {
            self.spec = spec
            self.root = root
            self.mirror = mirror
            self.tree = tree
            self.reader = reader
            self.writer = writer
        }

        func run() async throws -> Int32 {
            let heartbeat = Heartbeat(writer: writer, limit: RemoteBuildServer.silenceLimit) { [self] in clientGone() }
            reader.heard = { heartbeat.heard() }
            defer { heartbeat.stop() }
            guard try receiveContext() else {
                writer.send(.end, json: RemoteEnd(status: .canceled, error: "build canceled", outputs: []))
                return 130
            }
            let synced = try mirror.apply(spec.manifest, to: tree)
            try writeDockerfile()
            try? FileManager.default.removeItem(atPath: tree.outputDirectory)
            mkdir(tree.outputDirectory, 0o700)
            defer { try? FileManager.default.removeItem(atPath: tree.outputDirectory) }
            writer.send(.synced, json: synced)

            let channels = AgentChannels(writer: writer)
            let agents = try AgentListeners(ids: spec.sshAgents, channels: channels, writer: writer)
            defer {
                agents.stop()
                channels.closeAll()
            }
            let request = try spec.request(tree: tree, agents: agents.paths)
            let build = Build(request: request, root: root, buildID: spec.buildID)
            let bus = EventBus()
            let events = await bus.subscribe()
            let task = Task { await build.run(bus: bus) }
            let cancelNow = lock.withLock { () -> Bool in
                buildTask = task
                return canceled
            }
            if cancelNow { cancel() }
            Thread.detachNewThread { [self] in readControl(channels) }
            for await event in events {
                var line: [UInt8] = []
                event.appendRecordLine(to: &line)
                line.withUnsafeBytes { _ = writer.send(.events, $0) }
            }
            let outcome = await task.value
            lock.withLock { ended = true }
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

        private func clientGone() {
            let building = lock.withLock { buildTask != nil }
            if !building {
                // Still waiting for the context from a client that went quiet: nothing to cancel,
                // and the read it blocks in may never return.
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
            let task = lock.withLock { () -> Task<BuildOutcome, Never>? in
                canceled = true
                return ended ? nil : buildTask
            }
            guard let task else { return }
            task.cancel()
            Thread.detachNewThread {
                usleep(UInt32(RemoteBuildServer.cancelLimit * 1_000_000))
                Watchdog.killDescendants()
                usleep(2_000_000)
                Foundation.exit(130)
            }
        }

        /// The client's outputs, from `out/`, as frames; a failure is the end frame's text.
        private func sendOutputs() {
            for (i, output) in spec.outputs.enumerated() where output.kind != "image" {
                let path = tree.outputDirectory + "/\(i)"
                let channel = UInt32(i)
                do {
                    if output.kind == "local" {
                        writer.send(.outputBegin, channel: channel, (try? JSONEncoder().encode(OutputHeader(kind: output.kind))) ?? Data())
                        let sink = FrameSink(writer: writer, channel: channel)
                        let tar = TarWriter(sink: sink)
                        try tar.appendDirectory(path, format: .plain)
                        try tar.finish()
                        try sink.finish()
                    } else {
                        let source = try FileSource(path: path)
                        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? nil
                        writer.send(.outputBegin, channel: channel, (try? JSONEncoder().encode(OutputHeader(kind: output.kind, bytes: size))) ?? Data())
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
