import Foundation

/// Turns a byte stream of build-record lines (an attach socket, an ssh bridge's stdout) into
/// `BuildEvent`s, on a thread of its own so blocking reads never hold a Swift concurrency thread.
///
/// Lines that do not decode are skipped, like a record reader does; a cut last line (the
/// connection dropped mid-line) is dropped. When the consumer stops listening, `hangUp` is called
/// so the blocked read returns and the thread ends.
public enum EventLineStream {
    /// Reads chunks with `read` (empty means end of stream) until the end, yielding every event.
    public static func events(read: @escaping @Sendable () -> Data,
                              hangUp: @escaping @Sendable () -> Void) -> AsyncStream<BuildEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: BuildEvent.self, bufferingPolicy: .unbounded)
        let cancelled = Flag()
        continuation.onTermination = { _ in
            cancelled.set()
            hangUp()
        }
        Thread.detachNewThread {
            var pending = Data()
            while !cancelled.isSet {
                let chunk = read()
                if chunk.isEmpty { break }
                pending.append(chunk)
                guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                let complete = pending[pending.startIndex...lastNewline]
                for event in BuildRecord.decode(Data(complete)).events {
                    continuation.yield(event)
                }
                pending = Data(pending[(lastNewline + 1)...])
            }
            continuation.finish()
        }
        return stream
    }

    /// The events of an open attach connection (the `attach` request already sent).
    public static func events(from socket: UnixSocket) -> AsyncStream<BuildEvent> {
        events(read: { socket.receive() }, hangUp: { socket.shutdown() })
    }
}

/// A one-way latch readable from any thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }

    func set() { lock.withLock { value = true } }
}
