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
        /// An output for the client (channel: its index): `OutputHeader` JSON, its bytes, its end.
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
/// write (the other side is gone) every send returns false at once.
final class FrameWriter: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var broken = false

    init(fd: Int32) {
        self.fd = fd
    }

    var isBroken: Bool { lock.withLock { broken } }

    @discardableResult
    func send(_ kind: RemoteFrame.Kind, channel: UInt32 = 0, _ payload: UnsafeRawBufferPointer) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return write(kind, channel: channel, payload)
    }

    /// A ping, unless another frame is being written (that one says "alive" as well): the
    /// heartbeat must never wait behind a write the other side does not read.
    func pingIfIdle() {
        guard lock.try() else { return }
        defer { lock.unlock() }
        _ = write(.ping, channel: 0, UnsafeRawBufferPointer(start: nil, count: 0))
    }

    private func write(_ kind: RemoteFrame.Kind, channel: UInt32, _ payload: UnsafeRawBufferPointer) -> Bool {
        var header = [UInt8](repeating: 0, count: 9)
        header[0] = kind.rawValue
        for i in 0..<4 {
            header[1 + i] = UInt8(truncatingIfNeeded: channel >> (24 - 8 * i))
            header[5 + i] = UInt8(truncatingIfNeeded: UInt32(payload.count) >> (24 - 8 * i))
        }
        guard !broken else { return false }
        do {
            try header.withUnsafeBytes { try FileSink.writeAll(fd: fd, $0, path: "the ssh session") }
            if payload.count > 0 { try FileSink.writeAll(fd: fd, payload, path: "the ssh session") }
            return true
        } catch {
            broken = true
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

    /// No more writes: later sends return false (a detached build's client is gone).
    func close() { lock.withLock { broken = true } }
}

/// Reads frames from a descriptor, blocking; nil at a clean end of the stream.
final class FrameReader: @unchecked Sendable {
    fileprivate let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 18)
    private var start = 0
    private var end = 0
    /// Called with every frame's arrival (the heartbeat's "heard from the other side").
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
        heard?()
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

/// The heartbeat of one side: a ping every second, and `onSilence` once nothing has been heard
/// from the other side for `limit` seconds.
final class Heartbeat: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date()
    private var stopped = false

    init(writer: FrameWriter, limit: Double, onSilence: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in
            var ticks = 0
            while true {
                usleep(250_000)
                let (done, quiet) = lock.withLock { (stopped, Date().timeIntervalSince(last)) }
                if done { return }
                if quiet > limit {
                    lock.withLock { stopped = true }
                    onSilence()
                    return
                }
                ticks += 1
                if ticks % 4 == 0 { writer.pingIfIdle() }
            }
        }
    }

    func heard() { lock.withLock { last = Date() } }

    func stop() { lock.withLock { stopped = true } }
}
