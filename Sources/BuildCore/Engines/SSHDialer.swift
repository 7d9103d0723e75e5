import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Docker engine on another machine, reached as `docker -H ssh://` reaches it: every
/// connection is a fresh `ssh HOST docker system dial-stdio`, the remote docker client relaying
/// its stdin and stdout to the remote engine. Here that is served on a private unix socket (in an
/// owner-only directory, removed by `stop`), so the Engine API client speaks to it as to a local
/// engine. Your own `ssh` runs it: config, agents and known hosts apply; no port is opened.
final class SSHDialer: @unchecked Sendable {
    let socketPath: String
    private let directory: String
    private let listener: UnixSocket
    private let host: SSHBuildHost
    private let command: String
    private let lock = NSLock()
    private var processes: [Process] = []

    /// `url` is `ssh://[user@]host[:port]`; the remote command is `docker system dial-stdio`
    /// (`SWBUILD_REMOTE_DOCKER_COMMAND` replaces `docker`, as `SWBUILD_REMOTE_COMMAND` does for swbuild).
    init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var host = try SSHBuildHost(url: url, environment: environment)
        host.batch = true
        self.host = host
        command = (environment["SWBUILD_REMOTE_DOCKER_COMMAND"].flatMap { $0.isEmpty ? nil : $0 } ?? "docker") + " system dial-stdio"
        let template = NSTemporaryDirectory() + "swbuild-dial-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw EngineError.unreachable(url, "cannot make a socket directory") }
        directory = String(cString: made)
        socketPath = directory + "/engine.sock"
        listener = try UnixSocket.listen(at: socketPath)
        Thread.detachNewThread { [self] in serve() }
    }

    private func serve() {
        while let client = listener.accept() {
            Thread.detachNewThread { [self] in relay(client) }
        }
    }

    /// One connection: ssh's stdout to the client, the client to ssh's stdin, until either ends.
    private func relay(_ client: UnixSocket) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var arguments = host.arguments
        arguments.removeLast()   // the swbuild bridge command
        process.arguments = ["ssh"] + arguments + [command]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            client.close()
            return
        }
        lock.lock()
        processes.append(process)
        lock.unlock()
        let upstream = Thread { [client] in
            while true {
                let data = client.receive()
                if data.isEmpty { break }
                do { try input.fileHandleForWriting.write(contentsOf: data) } catch { break }
            }
            try? input.fileHandleForWriting.close()
        }
        upstream.start()
        while true {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty || !client.send(data) { break }
        }
        client.shutdown()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        client.close()
        lock.lock()
        processes.removeAll { $0 === process }
        lock.unlock()
    }

    /// Stops listening, ends every relay's ssh, removes the socket and its directory.
    func stop() {
        listener.shutdown()
        listener.close()
        lock.lock()
        let running = processes
        lock.unlock()
        for process in running where process.isRunning { process.terminate() }
        unlink(socketPath)
        rmdir(directory)
    }
}
