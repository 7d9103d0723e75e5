import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs each step as an OCI runtime bundle started with `runc run` (or crun): its own PID, mount,
/// IPC and UTS namespaces (and network namespace for `--network=none`), /proc, /dev, /dev/shm,
/// a hostname, /etc/hosts and /etc/resolv.conf as BuildKit provides them, BuildKit's default
/// capabilities. Cancellation kills and deletes the container.
public struct RuncExecutor: Executor {
    public var runtime: String
    /// The runtime's own state directory (`--root`), under swbuild's state root.
    public var stateDirectory: String
    /// Where bundles are written (the build session's scratch area).
    public var bundleDirectory: String
    /// The default network of RUN steps, reused between steps.
    let networks: NetworkPool

    public init(runtime: String = RuntimeLocator.preferred, stateDirectory: String, bundleDirectory: String) {
        self.runtime = runtime
        self.stateDirectory = stateDirectory
        self.bundleDirectory = bundleDirectory
        networks = NetworkPool(directory: bundleDirectory)
    }

    public func run(_ request: ExecRequest, output: @escaping @Sendable (Int, Data) -> Void) async throws(ExecutorError) {
        let id = "swb-" + UUID().uuidString.lowercased().prefix(18).replacingOccurrences(of: "-", with: "")
        let bundle = bundleDirectory + "/" + id
        guard let identity = UserResolver(rootfs: request.rootfs).identity(request.op.user) else {
            let name = request.op.user.split(separator: ":").first.map(String.init) ?? request.op.user
            throw .runtimeFailed("unable to find user \(name): no matching entries in passwd file")
        }
        var stubs = MountStubs(rootfs: request.rootfs)
        var network: NetworkSandbox?
        do {
            try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
            try stubs.prepare(request, identity: identity)
            try Data(Self.hosts.utf8).write(to: URL(fileURLWithPath: bundle + "/hosts"))
            try Data(Self.resolvConf().utf8).write(to: URL(fileURLWithPath: bundle + "/resolv.conf"))
            if request.op.network == .default { network = try networks.take() }
            let spec = RuntimeSpec(request: request, identity: identity, bundle: bundle, networkNamespace: network?.path)
            try AtomicFile.write(spec.json(), to: bundle + "/config.json")
        } catch {
            if let network { networks.give(network) }
            stubs.remove()
            try? FileManager.default.removeItem(atPath: bundle)
            if let e = error as? ExecutorError { throw e }
            throw .runtimeFailed("cannot prepare the container bundle: \(error)")
        }
        defer {
            // Only after the container is gone (launch waits for the runtime to exit).
            if let network { networks.give(network) }
            stubs.remove()
            try? FileManager.default.removeItem(atPath: bundle)
        }
        let status = try await launch(id: id, bundle: bundle, output: output)
        if Task.isCancelled { throw .canceled }
        guard status == 0 else {
            throw .processFailed(command: request.op.args.joined(separator: " "), exitCode: status)
        }
    }

    static let hosts = "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n"

    static func resolvConf() -> String {
        let host = (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
        let usable = host.split(separator: "\n").filter { line in
            !(line.hasPrefix("nameserver 127.") || line.hasPrefix("nameserver ::1"))
        }
        if usable.contains(where: { $0.hasPrefix("nameserver") }) { return usable.joined(separator: "\n") + "\n" }
        return "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
    }

    /// Starts `runc run`, streams its output, and returns the exit status. Cancelling the task kills
    /// the container and waits for it to go.
    func launch(id: String, bundle: String, output: @escaping @Sendable (Int, Data) -> Void) async throws(ExecutorError) -> Int32 {
        let process = Process()
        let command = RuntimeLocator.command(runtime: runtime, ["--root", stateDirectory, "run", "--bundle", bundle, id])
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let drained = DrainCounter(count: 2)
        let runtime = self.runtime, state = self.stateDirectory
        let exited = Flag()
        let status: Int32 = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                process.terminationHandler = { p in
                    exited.set()
                    continuation.resume(returning: p.terminationStatus)
                }
                do {
                    try process.run()
                    // One plain reading thread per pipe until end of file: no dispatch sources
                    // on descriptors that could be closed under them.
                    for (stream, pipe) in [(1, out), (2, err)] {
                        Thread.detachNewThread {
                            OutputPump.drain(pipe, stream: stream, output: output)
                            drained.signal()
                        }
                    }
                } catch {
                    exited.set()
                    drained.signal()
                    drained.signal()
                    process.terminationHandler = nil
                    output(2, Data("cannot start \(runtime): \(error)\n".utf8))
                    continuation.resume(returning: 127)
                }
            }
        } onCancel: {
            // Kill the container's init (its PID namespace dies with it). The container may not
            // be registered, or not started, when the cancel arrives, and a kill sent while it is
            // being created can land before its process exists: keep killing until `runc run`
            // itself is gone.
            Thread.detachNewThread {
                for _ in 0..<600 where !exited.isSet {
                    if !RuntimeLocator.killInit(state: state, id: id) {
                        RuntimeLocator.kill(runtime: runtime, state: state, id: id)
                    }
                    usleep(100_000)
                }
            }
        }
        await drained.wait()
        // `run` removes its container when it exits; only one it could not remove is deleted.
        if access(state + "/" + id, F_OK) == 0 { RuntimeLocator.delete(runtime: runtime, state: state, id: id) }
        return status
    }
}

/// Reads a pipe to its end with blocking reads, handing each chunk on.
enum OutputPump {
    static func drain(_ pipe: Pipe, stream: Int, output: @Sendable (Int, Data) -> Void) {
        let fd = pipe.fileHandleForReading.fileDescriptor
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output(stream, Data(buffer[0..<n]))
        }
        try? pipe.fileHandleForReading.close()
    }
}

/// Waits until both output pipes reached end of file, so no output is lost after exit.
final class DrainCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { remaining = count }

    func signal() {
        lock.lock()
        remaining -= 1
        let ready = remaining <= 0 ? waiters : []
        if remaining <= 0 { waiters = [] }
        lock.unlock()
        for w in ready { w.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if remaining <= 0 {
                lock.unlock()
                c.resume()
            } else {
                waiters.append(c)
                lock.unlock()
            }
        }
    }
}

/// Finds the OCI runtime binary and runs its kill/delete/list commands.
public enum RuntimeLocator {
    public static func path(of runtime: String) -> String {
        if runtime.hasPrefix("/") { return runtime }
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin", "/bin"] {
            let p = dir + "/" + runtime
            if access(p, X_OK) == 0 { return p }
        }
        return "/usr/sbin/" + runtime
    }

    /// The runtime RUN steps use unless `--oci-runtime` names one: crun where it is installed
    /// (it starts a container in a third of runc's time), runc otherwise.
    public static var preferred: String {
        access(path(of: "crun"), X_OK) == 0 ? "crun" : "runc"
    }

    /// The command line that runs `runtime` with `arguments`.
    ///
    /// crun refuses hybrid cgroup hosts (v1 controllers plus a v2 tree at
    /// `/sys/fs/cgroup/unified`), so on such hosts it must not see the v2 tree. A build already
    /// runs in a mount namespace of its own (`MountNamespace`): the tree is unmounted there, once,
    /// and crun runs directly. Elsewhere crun runs in a mount namespace made for it, in which the
    /// tree is unmounted. Either way it sees a plain v1 host and the host's mounts are untouched.
    static func command(runtime: String, _ arguments: [String]) -> [String] {
        let binary = path(of: runtime)
        guard (binary as NSString).lastPathComponent == "crun", hybridCgroups, !unifiedTreeHidden else {
            return [binary] + arguments
        }
        let script = "umount /sys/fs/cgroup/unified 2>/dev/null; exec \"$0\" \"$@\""
        return [path(of: "unshare"), "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, binary] + arguments
    }

    /// True when the host mounts cgroup v2 at `/sys/fs/cgroup/unified` next to v1 controllers.
    static let hybridCgroups: Bool = {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[1] == "/sys/fs/cgroup/unified" && fields[2] == "cgroup2"
        }
    }()

    /// Unmounts the v2 tree of a hybrid host in this process's own mount namespace, when it has
    /// one; true when crun can then run without a namespace of its own. Only in a build's private
    /// namespace: the unmount must never reach the host.
    static let unifiedTreeHidden: Bool = {
        guard hybridCgroups, MountNamespace.isPrivate else { return false }
        return umount2("/sys/fs/cgroup/unified", Int32(MNT_DETACH)) == 0
    }()

    @discardableResult
    static func runQuietly(_ runtime: String, _ args: [String]) -> Bool {
        let p = Process()
        let command = command(runtime: runtime, args)
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            return false
        }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    /// Sends SIGKILL to the container's init process, read from the runtime's state file (runc's
    /// `state.json`, crun's `status`).
    @discardableResult
    public static func killInit(state: String, id: String) -> Bool {
        let files = [("state.json", "init_process_pid"), ("status", "pid")]
        for (file, field) in files {
            guard let data = FileManager.default.contents(atPath: state + "/" + id + "/" + file),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let pid = (object[field] as? NSNumber)?.int32Value, pid > 1 else { continue }
            return Glibc.kill(pid, SIGKILL) == 0
        }
        return false
    }

    /// The runtime that made the container `id` under `state`, told by its state file.
    static func owner(state: String, id: String, default runtime: String) -> String {
        if access(state + "/" + id + "/status", F_OK) == 0 { return "crun" }
        if access(state + "/" + id + "/state.json", F_OK) == 0 { return "runc" }
        return runtime
    }

    @discardableResult
    public static func kill(runtime: String, state: String, id: String) -> Bool {
        runQuietly(runtime, ["--root", state, "kill", "--all", id, "KILL"])
    }

    public static func delete(runtime: String, state: String, id: String) {
        runQuietly(runtime, ["--root", state, "delete", "--force", id])
    }

    /// Deletes every container in `state` whose id is not in `keep` (leftovers of killed builds).
    public static func deleteAll(runtime: String, state: String, except keep: Set<String> = []) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []
        for id in names where id.hasPrefix("swb-") && !keep.contains(id) {
            let owner = owner(state: state, id: id, default: runtime)
            killInit(state: state, id: id)
            kill(runtime: owner, state: state, id: id)
            delete(runtime: owner, state: state, id: id)
        }
    }
}
