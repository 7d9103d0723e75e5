import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The network a `RUN` with the default network mode gets, as under Docker's BuildKit: a network
/// namespace of its own with outbound access through `slirp4netns` (user-mode NAT), the host's
/// loopback switched off (`--disable-host-loopback`), so a step reaches the internet and the
/// package archives but never a service listening on the builder's 127.0.0.1. `--network=none`
/// is an empty namespace and `--network=host` (with `--allow network.host`) the host's own.
///
/// The namespace is kept by a bind mount of its nsfs file in the build's session directory, which
/// the runtime joins by path; `slirp4netns` is started sandboxed (its own mount namespace, seccomp) and
/// reports its readiness through a pipe before the step starts. `close()` stops both.
final class NetworkSandbox: @unchecked Sendable {
    let path: String
    private let slirp: pid_t
    /// The write end of slirp4netns's exit pipe: when this process goes, however it goes, the
    /// pipe closes and slirp4netns exits (`--exit-fd`), so none outlives a killed build.
    private let exitPipe: Int32

    /// Where Debian installs it; nothing else is searched.
    static let slirpCandidates = ["/usr/bin/slirp4netns", "/usr/local/bin/slirp4netns"]

    static var slirpBinary: String? { slirpCandidates.first { access($0, X_OK) == 0 } }

    /// A new namespace kept at `path` (a file this creates).
    init(at path: String) throws(ExecutorError) {
        guard let binary = Self.slirpBinary else {
            throw .runtimeFailed("RUN needs slirp4netns for its private network (apt-get install slirp4netns), or use RUN --network=none")
        }
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw .runtimeFailed("cannot create \(path)")
        }
        let unshare = Process()
        unshare.executableURL = URL(fileURLWithPath: RuntimeLocator.path(of: "unshare"))
        unshare.arguments = ["--net=" + path, "true"]
        unshare.standardInput = FileHandle.nullDevice
        unshare.standardOutput = FileHandle.nullDevice
        let unshareErr = Pipe()
        unshare.standardError = unshareErr
        do { try unshare.run() } catch { throw .runtimeFailed("cannot start unshare: \(error)") }
        unshare.waitUntilExit()
        guard unshare.terminationStatus == 0 else {
            let message = String(decoding: unshareErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw .runtimeFailed("cannot create the step's network namespace: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        do {
            (slirp, exitPipe) = try Self.startSlirp(binary, namespace: path)
        } catch {
            Mounter.unmount(path)
            unlink(path)
            throw error
        }
    }

    /// Starts slirp4netns with its readiness pipe as descriptor 3 (Foundation's `Process` cannot
    /// hand over a descriptor past standard error, and slirp4netns writes warnings to both) and
    /// waits until it has configured the namespace's tap device.
    private static func startSlirp(_ binary: String, namespace: String) throws(ExecutorError) -> (pid_t, Int32) {
        var fds: [Int32] = [-1, -1], exit: [Int32] = [-1, -1]
        guard swb_pipe_cloexec(&fds) == 0 else { throw .runtimeFailed("cannot create a pipe: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fds[0]) }
        guard swb_pipe_cloexec(&exit) == 0 else {
            Glibc.close(fds[1])
            throw .runtimeFailed("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        defer { Glibc.close(exit[0]) }
        let arguments = [binary, "--configure", "--mtu=65520", "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
                         "--ready-fd=3", "--exit-fd=4", "--netns-type=path", namespace, "tap0"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 3)
        posix_spawn_file_actions_adddup2(&actions, exit[0], 4)
        swb_spawn_close_from(&actions, 5)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        // The caller's threads block signals; the child starts with none blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, &attributes, argv, environ)
        Glibc.close(fds[1])
        guard rc == 0 else {
            Glibc.close(exit[1])
            throw .runtimeFailed("cannot start slirp4netns: \(String(cString: strerror(rc)))")
        }
        // It writes "1" once the tap device is up; end of file means it died.
        var byte: UInt8 = 0
        var n = 0
        repeat { n = read(fds[0], &byte, 1) } while n < 0 && errno == EINTR
        guard n == 1, byte == UInt8(ascii: "1") else {
            stop(pid)
            Glibc.close(exit[1])
            throw .runtimeFailed("slirp4netns could not configure the step's network")
        }
        return (pid, exit[1])
    }

    private static func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Stops slirp4netns and releases the namespace.
    func close() {
        Self.stop(slirp)
        Glibc.close(exitPipe)
        Mounter.unmount(path)
        unlink(path)
    }
}
