import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Serves one build's events on `<root>/attach/<id>.sock`, for `swbuild-tui attach` and the
/// ssh bridge.
///
/// Protocol: a client sends one request line, `attach` or `status`.
/// - `attach`: every event so far, then every live event, as build-record lines (the record's
///   format is the wire format); the server closes the connection when the build ends.
/// - `status`: one JSON line, the `RunningBuild` as it stands, then close.
///
/// Invariants:
/// - Only the build's owner (or root) may connect: the directory is 0700, the socket 0600, and
///   the peer's uid is checked again on accept.
/// - Viewers never slow or stop the build. Each connection has its own thread and an unbounded
///   queue fed from `EventBus.subscribe()`; a viewer that leaves (or stalls and is closed) only
///   ends its own subscription.
/// - `stop()` removes the socket file, then gives connected viewers a moment to receive the end of
///   the build before returning, so a viewer sees `buildFinished` even when the builder exits
///   right after.
public final class AttachServer: @unchecked Sendable {
    public let path: String
    private let listener: UnixSocket
    private let bus: EventBus
    private let buildID: String
    private let connections = DispatchGroup()
    /// The build as `status` reports it, kept current from the bus, so answering never waits on
    /// Swift concurrency from a connection thread.
    private let status: StatusBoard
    private let tracker: Task<Void, Never>

    /// `<root>/attach/<buildID>.sock`.
    public static func socketPath(root: StateRoot, buildID: String) -> String {
        directory(root) + "/" + buildID + ".sock"
    }

    static func directory(_ root: StateRoot) -> String { root.subdirectory("attach") }

    /// Starts listening for `buildID`'s viewers.
    public init(root: StateRoot, buildID: String, bus: EventBus) throws(AttachError) {
        let dir = Self.directory(root)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io("cannot create \(dir): \(error.localizedDescription)")
        }
        chmod(dir, 0o700)
        path = Self.socketPath(root: root, buildID: buildID)
        listener = try UnixSocket.listen(at: path)
        self.bus = bus
        self.buildID = buildID
        let board = StatusBoard(id: buildID)
        status = board
        tracker = Task {
            for await event in await bus.subscribe() { board.record(event) }
        }
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    /// Stops accepting, removes the socket, and waits up to `grace` seconds for viewers to drain.
    public func stop(grace: Double = 3) async {
        unlink(path)
        listener.shutdown()
        tracker.cancel()
        let group = connections
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                _ = group.wait(timeout: .now() + grace)
                done.resume()
            }
        }
        listener.close()
    }

    private func acceptLoop() {
        while let client = listener.accept() {
            guard let uid = client.peerUID, uid == geteuid() || uid == 0 else {
                client.close()
                continue
            }
            connections.enter()
            Thread.detachNewThread { [self] in
                serve(client)
                connections.leave()
            }
        }
    }

    private func serve(_ client: UnixSocket) {
        defer { client.close() }
        client.setReceiveTimeout(10)
        client.setSendTimeout(30)
        var request = Data()
        while !request.contains(UInt8(ascii: "\n")) && request.count < 256 {
            let chunk = client.receive(max: 256)
            if chunk.isEmpty { return }
            request.append(chunk)
        }
        let verb = String(decoding: request.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        switch verb {
        case "attach":
            stream(to: client)
        case "status":
            if let line = try? RunningBuild.line(status.current) { client.send(line) }
        default:
            client.send(Data("{\"error\":\"unknown request\"}\n".utf8))
        }
    }

    /// Relays the bus to the client until the build ends or the client leaves.
    private func stream(to client: UnixSocket) {
        let queue = LineQueue()
        let bus = self.bus
        let feeder = Task {
            var line: [UInt8] = []
            for await event in await bus.subscribe() {
                if queue.isClosed { break }
                line.removeAll(keepingCapacity: true)
                BuildRecord.encodeLine(event, into: &line)
                if !queue.push(Data(line)) { break }
            }
            queue.finish()
        }
        while let chunk = queue.popAll() {
            // A viewer that is gone, or stopped reading for the send timeout, is dropped.
            if !client.send(chunk) { break }
        }
        queue.close()
        feeder.cancel()
    }
}

/// A running build's status, updated event by event and read from any thread.
final class StatusBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var build: RunningBuild
    private var planned = Set<Digest>()
    private var ended = Set<Digest>()

    init(id: String) {
        build = RunningBuild(id: id, started: Date(), contextPath: nil, dockerfile: nil, target: nil, steps: 0, completed: 0, cached: 0)
    }

    var current: RunningBuild { lock.withLock { build } }

    func record(_ event: BuildEvent) {
        lock.withLock {
            switch event.kind {
            case .buildStarted(let s):
                build.started = event.time
                build.contextPath = s.contextPath
                build.dockerfile = s.dockerfilePath
                build.target = s.target
            case .plan(let vertices):
                for v in vertices { planned.insert(v.digest) }
                build.steps = planned.count
            case .vertexCompleted(let c):
                if ended.insert(c.digest).inserted {
                    build.completed = ended.count
                    if c.status == .cached { build.cached += 1 }
                }
            default:
                break
            }
        }
    }
}

/// Lines waiting to be written to one viewer: pushed from async code, drained by a blocking thread.
///
/// Bounded: a viewer that falls more than `limit` bytes behind (a slow link during a flood, or a
/// late attach reading a long build back) is told so and dropped, so no viewer can grow the
/// build's process without bound.
final class LineQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = Data()
    private var finished = false
    private var closed = false
    let limit: Int

    init(limit: Int = 256 << 20) {
        self.limit = limit
    }

    /// True once the writer gave up: nothing more is kept for it.
    var isClosed: Bool { condition.lock(); defer { condition.unlock() }; return closed }

    func close() {
        condition.lock()
        closed = true
        pending = Data()
        condition.unlock()
    }

    /// Queues `line`; false when the viewer is gone or fell too far behind (then only a notice
    /// saying so is left to send, and the queue is finished).
    @discardableResult
    func push(_ line: Data) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if closed || finished { return false }
        if pending.count + line.count > limit {
            var notice: [UInt8] = []
            BuildRecord.encodeLine(BuildEvent(.warning(BuildWarning(message:
                "this viewer fell more than \(limit >> 20) MiB behind the build and was dropped; attach again, or replay the build"))),
                into: &notice)
            pending = Data(notice)
            finished = true
            condition.signal()
            return false
        }
        pending.append(line)
        condition.signal()
        return true
    }

    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
    }

    /// Everything queued so far (waiting for something), or nil once finished and drained.
    func popAll() -> Data? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !finished { condition.wait() }
        if pending.isEmpty { return nil }
        let out = pending
        pending = Data()
        return out
    }
}
