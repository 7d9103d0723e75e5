import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The frames of a remote build session (`swbuild-tui bridge build` over ssh). After the bridge's
/// JSON request and reply lines, both directions carry frames: a kind (1 byte), a channel (4
/// bytes, big-endian: an output's index, an agent connection's number) and a length (4 bytes),
/// then the payload. One ssh session carries everything: the context, the events, the outputs,
/// the ssh agent's traffic, cancellation and the heartbeat.
public enum RemoteFrame {
    public enum Kind: UInt8, Sendable {
        // client → remote
        /// The build (`RemoteBuildSpec`, JSON): the first frame.
        case spec = 1
        /// Bytes of the next blob the remote asked for, then its end.
        case blobData = 2
        case blobEnd = 3
        /// Cancel the build.
        case cancel = 4
        // both ways
        /// The heartbeat: each side sends one every second, and one that hears nothing for a
        /// few seconds takes the other for gone.
        case ping = 5
        /// An ssh agent connection's bytes (channel: the connection), and its end.
        case agentData = 6
        case agentClose = 7
        // remote → client
        /// The digests of the context files the remote lacks (JSON array).
        case need = 10
        /// The remote's copy of the context is in place (`ContextSynced`, JSON).
        case synced = 11
        /// Build-record lines of the build's events.
        case events = 12
        /// An output for the client (channel: its index; the client knows which it asked for):
        /// its start, its bytes, its end (with the remote's error, if it could not be sent).
        case outputBegin = 13
        case outputData = 14
        case outputEnd = 15
        /// How the build ended (`RemoteEnd`, JSON): the last frame.
        case end = 16
        /// A step opened the ssh agent `payload` (its id); channel: the new connection.
        case agentOpen = 17
    }

    public struct Frame: Sendable {
        public var kind: Kind
        public var channel: UInt32
        public var payload: Data
    }

    /// The largest payload either side accepts (a manifest of a very large context fits).
    static let maxPayload = 512 << 20
    /// How much of a file goes in one data frame.
    static let chunk = 1 << 20
}

/// Writes frames to a descriptor from any thread, one frame at a time. After the first failed
/// write (the other side is gone), or `close()`, every send returns false at once.
final class FrameWriter: @unchecked Sendable {
    private let fd: Int32
    /// Held for a frame's write (which may block on a slow reader).
    private let writing = NSLock()
    /// Guards `broken` alone, so closing never waits behind a blocked write.
    private let state = NSLock()
    private var broken = false

    init(fd: Int32) {
        self.fd = fd
    }

    var isBroken: Bool { state.withLock { broken } }

    @discardableResult
    func send(_ kind: RemoteFrame.Kind, channel: UInt32 = 0, _ payload: UnsafeRawBufferPointer) -> Bool {
        guard payload.count <= RemoteFrame.maxPayload else { return false }
        var header = [UInt8](repeating: 0, count: 9)
        header[0] = kind.rawValue
        for i in 0..<4 {
            header[1 + i] = UInt8(truncatingIfNeeded: channel >> (24 - 8 * i))
            header[5 + i] = UInt8(truncatingIfNeeded: UInt32(payload.count) >> (24 - 8 * i))
        }
        writing.lock()
        defer { writing.unlock() }
        guard !isBroken else { return false }
        do {
            try header.withUnsafeBytes { try FileSink.writeAll(fd: fd, $0, path: "the ssh session") }
            if payload.count > 0 { try FileSink.writeAll(fd: fd, payload, path: "the ssh session") }
            return true
        } catch {
            state.withLock { broken = true }
            return false
        }
    }

    @discardableResult
    func send(_ kind: RemoteFrame.Kind, channel: UInt32 = 0, _ payload: Data = Data()) -> Bool {
        payload.withUnsafeBytes { send(kind, channel: channel, $0) }
    }

    @discardableResult
    func send<T: Encodable>(_ kind: RemoteFrame.Kind, json value: T) -> Bool {
        guard let data = try? JSONEncoder().encode(value) else { return false }
        return send(kind, data)
    }

    /// A ping, unless another frame is being written (that one says "alive" as well).
    func pingIfIdle() {
        guard writing.try() else { return }
        writing.unlock()
        send(.ping)
    }

    /// No more writes: later sends return false (a detached build's client is gone).
    func close() { state.withLock { broken = true } }
}

/// Reads frames from a descriptor, blocking; nil at a clean end of the stream.
final class FrameReader: @unchecked Sendable {
    fileprivate let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 18)
    private var start = 0
    private var end = 0
    /// Called whenever bytes arrive (the heartbeat's "heard from the other side").
    var heard: (@Sendable () -> Void)?
    /// Set from another thread when the other side has gone silent: the next wait for bytes
    /// gives up. (A shared ssh connection's master holds the pipe, so its end may never come.)
    let abandoned = Flag()

    init(fd: Int32) {
        self.fd = fd
    }

    func next() throws(RemoteBuildError) -> RemoteFrame.Frame? {
        guard try fill(9, allowEnd: true) else { return nil }
        let header = buffer[start..<(start + 9)]
        start += 9
        var channel: UInt32 = 0
        var length: UInt32 = 0
        for i in 0..<4 {
            channel = channel << 8 | UInt32(header[header.startIndex + 1 + i])
            length = length << 8 | UInt32(header[header.startIndex + 5 + i])
        }
        guard let kind = RemoteFrame.Kind(rawValue: header[header.startIndex]) else {
            throw .protocolError("unknown frame kind \(header[header.startIndex])")
        }
        guard Int(length) <= RemoteFrame.maxPayload else { throw .protocolError("a frame of \(length) bytes is too large") }
        var payload = Data(capacity: Int(length))
        var remaining = Int(length)
        while remaining > 0 {
            _ = try fill(1, allowEnd: false)
            let n = min(remaining, end - start)
            payload.append(contentsOf: buffer[start..<(start + n)])
            start += n
            remaining -= n
        }
        return RemoteFrame.Frame(kind: kind, channel: channel, payload: payload)
    }

    /// Makes at least `count` bytes available; false at a clean end before any byte.
    private func fill(_ count: Int, allowEnd: Bool) throws(RemoteBuildError) -> Bool {
        if end - start >= count { return true }
        if start > 0 {
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        while end < count {
            guard waitReadable() else { throw .connectionLost("the other side went silent") }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + end, $0.count - end) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                if allowEnd && end == 0 { return false }
                throw .connectionLost("the session ended in the middle of a frame")
            }
            // Any bytes say the other side is there, however long its frame is.
            heard?()
            end += n
        }
        return true
    }
}

extension FrameReader {
    /// Waits until the descriptor has bytes (or its end, or an error, which the read then
    /// tells); false once the reader is abandoned.
    fileprivate func waitReadable() -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !abandoned.isSet {
            let ready = poll(&entry, 1, 250)
            if ready > 0 || (ready < 0 && errno != EINTR) { return true }
        }
        return false
    }
}

/// The heartbeat of one side: a ping every second (from a thread of its own, which may block
/// on a full pipe), and `onSilence` once nothing has been heard from the other side for `limit`
/// seconds (from another, which never blocks). The clock is monotonic.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var last = ProcessInfo.processInfo.systemUptime
    private var stopped = false
    private var held = 0

    init(writer: FrameWriter, limit: Double, onSilence: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in
            while !lock.withLock({ stopped }) {
                writer.pingIfIdle()
                usleep(1_000_000)
            }
        }
        Thread.detachNewThread { [self] in
            while true {
                usleep(250_000)
                let (done, quiet) = lock.withLock { () -> (Bool, Double) in
                    if held > 0 { last = ProcessInfo.processInfo.systemUptime }
                    return (stopped, ProcessInfo.processInfo.systemUptime - last)
                }
                if done { return }
                if quiet > limit {
                    lock.withLock { stopped = true }
                    onSilence()
                    return
                }
            }
        }
    }

    func heard() { lock.withLock { last = ProcessInfo.processInfo.systemUptime } }

    /// Runs `body` (local work while nothing reads the other side's frames) with silence not
    /// counting.
    func holding<T>(_ body: () throws -> T) rethrows -> T {
        lock.withLock { held += 1 }
        defer {
            lock.withLock {
                held -= 1
                last = ProcessInfo.processInfo.systemUptime
            }
        }
        return try body()
    }

    func stop() { lock.withLock { stopped = true } }
}
