import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--ssh` on a remote build: the ssh agent's connections, relayed over the build's own ssh
/// session as frames. On the remote, a step's `RUN --mount=type=ssh` connects to a socket the
/// session listens on (in a directory only its owner can enter, removed at the end); the client
/// connects each such connection to its own agent. No key and no agent socket of the client
/// ever lands on the remote's disk.
final class AgentChannels: @unchecked Sendable {
    private let writer: FrameWriter
    private let lock = NSLock()
    private var sockets: [UInt32: UnixSocket] = [:]
    private var nextChannel: UInt32 = 1

    init(writer: FrameWriter) {
        self.writer = writer
    }

    /// A new channel number (the side that accepts connections hands them out).
    func newChannel() -> UInt32 {
        lock.withLock {
            defer { nextChannel += 1 }
            return nextChannel
        }
    }

    /// Relays `socket` as `channel`: its bytes become frames until it ends.
    func attach(_ socket: UnixSocket, channel: UInt32) {
        lock.withLock { sockets[channel] = socket }
        Thread.detachNewThread { [self] in
            while true {
                let data = socket.receive()
                if data.isEmpty || !writer.send(.agentData, channel: channel, data) { break }
            }
            writer.send(.agentClose, channel: channel)
            _ = lock.withLock { sockets.removeValue(forKey: channel) }
        }
    }

    /// A frame from the other side for one of the channels.
    func deliver(_ frame: RemoteFrame.Frame) {
        let socket = lock.withLock { sockets[frame.channel] }
        switch frame.kind {
        case .agentData:
            if socket?.send(frame.payload) == false { socket?.shutdown() }
        case .agentClose:
            socket?.shutdown()
        default:
            break
        }
    }

    func closeAll() {
        for socket in lock.withLock({ Array(sockets.values) }) { socket.shutdown() }
    }
}

/// The remote's end: one listening socket per `--ssh` id.
final class AgentListeners: @unchecked Sendable {
    let directory: String
    /// The socket of each id, for the build request's `sshAgents`.
    private(set) var paths: [String: String] = [:]
    private var listeners: [UnixSocket] = []
    private let stopped = Flag()

    init(ids: [String], channels: AgentChannels, writer: FrameWriter) throws(RemoteBuildError) {
        directory = FileManager.default.temporaryDirectory.path + "/swbuild-agent-" + UUID().uuidString.lowercased()
        guard !ids.isEmpty else { return }
        guard mkdir(directory, 0o700) == 0 else { throw .io("cannot create \(directory): \(String(cString: strerror(errno)))") }
        for (i, id) in ids.enumerated() {
            let path = directory + "/\(i).sock"
            let listener: UnixSocket
            do {
                listener = try UnixSocket.listen(at: path)
            } catch {
                throw .io("cannot listen for the ssh agent \(id): \(error)")
            }
            paths[id] = path
            listeners.append(listener)
            let stopped = stopped
            Thread.detachNewThread {
                while let connection = listener.accept() {
                    if stopped.isSet { break }
                    let channel = channels.newChannel()
                    writer.send(.agentOpen, channel: channel, Data(id.utf8))
                    channels.attach(connection, channel: channel)
                }
            }
        }
    }

    func stop() {
        stopped.set()
        for listener in listeners { listener.shutdown() }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
