import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A connected or listening `AF_UNIX` stream socket: the few blocking calls the attach server and
/// its clients need, with the Linux details handled in one place.
///
/// - Paths of any length work: `sun_path` holds only 108 bytes and a `--root` can be longer, so
///   the socket is bound and connected through `/proc/self/fd/<dir>/<name>` of an open directory.
/// - Writes never raise `SIGPIPE` (`MSG_NOSIGNAL`): a viewer that goes away is an error return for
///   the one connection, never a signal that kills the build.
/// - Every descriptor is close-on-exec, so containers and `ssh` children never inherit one.
public final class UnixSocket: @unchecked Sendable {
    public private(set) var fd: Int32

    init(fd: Int32) {
        self.fd = fd
    }

    deinit { close() }

    /// Listens at `path` (replacing a stale socket file), readable and writable by the owner only.
    public static func listen(at path: String) throws(AttachError) -> UnixSocket {
        let socket = try make()
        // No umask games (the umask is process-wide and other threads create files): the socket
        // lives in an owner-only directory and is made owner-only right after bind.
        let bound = try withShortPath(path) { short -> Int32 in
            unlink(short)
            return withAddress(short) { Glibc.bind(socket.fd, $0, $1) }
        }
        guard bound == 0 else { throw .posix("bind \(path)", errno) }
        chmod(path, 0o600)
        guard Glibc.listen(socket.fd, 64) == 0 else { throw .posix("listen \(path)", errno) }
        return socket
    }

    /// Connects to the socket at `path`.
    public static func connect(to path: String) throws(AttachError) -> UnixSocket {
        let socket = try make()
        let result = try withShortPath(path) { short in withAddress(short) { Glibc.connect(socket.fd, $0, $1) } }
        guard result == 0 else { throw .posix("connect \(path)", errno) }
        return socket
    }

    /// The next connection, or nil once the socket was shut down.
    public func accept() -> UnixSocket? {
        while true {
            let client = swb_accept_cloexec(fd)
            if client >= 0 { return UnixSocket(fd: client) }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return nil
        }
    }

    /// The user id of the process at the other end (`SO_PEERCRED`).
    public var peerUID: uid_t? {
        var uid: UInt32 = 0
        guard swb_peer_uid(fd, &uid) == 0 else { return nil }
        return uid_t(uid)
    }

    /// Writes all of `data`; false when the other end is gone.
    @discardableResult
    public func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Up to `max` bytes; empty at end of stream or on error.
    public func receive(max: Int = 65_536) -> Data {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = recv(fd, &buffer, max, 0)
            if n > 0 { return Data(buffer[0..<n]) }
            if n < 0 && errno == EINTR { continue }
            return Data()
        }
    }

    /// Gives up waiting for reads after `seconds` (a client that never sends its request).
    public func setReceiveTimeout(_ seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Gives up a write that cannot progress for `seconds` (a viewer that stopped reading).
    public func setSendTimeout(_ seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Wakes a thread blocked in `accept`/`recv` on this socket; the descriptor stays open.
    public func shutdown() {
        if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// `SOCK_STREAM` as the socket calls and `addrinfo` take it.
    static let streamType = Int32(SOCK_STREAM.rawValue)

    private static func make() throws(AttachError) -> UnixSocket {
        let fd = socket(AF_UNIX, streamType | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .posix("socket", errno) }
        return UnixSocket(fd: fd)
    }

    /// Runs `body` with a path short enough for `sun_path` that names the same file.
    private static func withShortPath<T>(_ path: String, _ body: (String) -> T) throws(AttachError) -> T {
        if path.utf8.count < 100 { return body(path) }
        let directory = PathText.parent(of: path)
        let dirFD = open(directory, swb_o_path() | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else { throw .posix("open \(directory)", errno) }
        defer { Glibc.close(dirFD) }
        return body("/proc/self/fd/\(dirFD)/" + (path as NSString).lastPathComponent)
    }

    private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        // Never cut a path short (it would name another file): refuse it.
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
