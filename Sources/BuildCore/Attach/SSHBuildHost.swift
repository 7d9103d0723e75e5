import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds on another machine, reached the way `docker -H ssh://` reaches a daemon: each request
/// runs `ssh [-l user] [-p port] -- host '<remote swbuild-tui> bridge'` and speaks `HostBridge`'s
/// line protocol over its stdin and stdout.
///
/// `ssh` is the user's own client from `PATH`, so `~/.ssh/config`, agents, keys and known hosts
/// all apply; its messages (host key prompts, authentication errors) go to our stderr. The remote
/// program is `swbuild-tui` on the remote `PATH`, or `SWBUILD_REMOTE_COMMAND` (a shell command
/// line, e.g. `SWBUILD_ROOT=/srv/swbuild /opt/bin/swbuild-tui`).
public struct SSHBuildHost: BuildHost {
    public var user: String?
    public var host: String
    public var port: Int?
    public var remoteCommand: String
    /// For screens that ask several hosts at once (the home screen's fleet): ssh never prompts
    /// (`BatchMode`), gives up connecting after 5 s, and its messages become the error's text
    /// instead of reaching the terminal under the screen.
    public var batch = false

    /// Parses `ssh://[user@]host[:port]` (an IPv6 host in brackets).
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(AttachError) {
        guard url.hasPrefix("ssh://") else { throw .badHost(url) }
        var rest = Substring(url.dropFirst("ssh://".count))
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
            if user?.isEmpty == true { throw .badHost(url) }
        }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            rest = rest[rest.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()), (1...65535).contains(p) else { throw .badHost(url) }
                port = p
            } else if !rest.isEmpty {
                throw .badHost(url)
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { throw .badHost(url) }
            port = p
        } else {
            host = String(rest)
        }
        guard !host.isEmpty, !host.hasPrefix("-"), !host.contains("/"), !host.contains(" ") else { throw .badHost(url) }
        remoteCommand = environment["SWBUILD_REMOTE_COMMAND"].flatMap { $0.isEmpty ? nil : $0 } ?? "swbuild-tui"
    }

    /// The `ssh` command line of one bridge session (`bridge build` for a build).
    public var arguments: [String] { arguments(bridge: "bridge") }

    func arguments(bridge: String) -> [String] {
        var args = ["-T", "-o", batch ? "ConnectTimeout=5" : "ConnectTimeout=30"]
        if batch { args += ["-o", "BatchMode=yes"] }
        // A connection that stops answering ends within 15 s, even before any frame is read.
        args += ["-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"]
        if let directory = sharing {
            // One connection per host, kept a minute after its last session, so a build or a
            // fleet listing does not pay for a key exchange each time.
            args += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(directory)/%C", "-o", "ControlPersist=60"]
        }
        if let user { args += ["-l", user] }
        if let port { args += ["-p", String(port)] }
        return args + ["--", host, remoteCommand + " " + bridge]
    }

    /// Where shared connections' control sockets live: `/tmp/swbuild-ssh-<uid>`, a directory only
    /// this user can enter (made if missing; one that is not exactly that turns sharing off).
    /// `SWBUILD_SSH_SHARE=0` turns it off too.
    var sharing: String? {
        if ProcessInfo.processInfo.environment["SWBUILD_SSH_SHARE"] == "0" { return nil }
        let directory = "/tmp/swbuild-ssh-\(getuid())"
        mkdir(directory, 0o700)
        var st = stat()
        guard lstat(directory, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == getuid(), st.st_mode & 0o077 == 0 else { return nil }
        return directory
    }

    /// `[user@]host[:port]`, for messages.
    public var target: String { (user.map { $0 + "@" } ?? "") + host + (port.map { ":\($0)" } ?? "") }

    /// A remote build's session: `bridge build` (the remote enters a mount namespace of its own
    /// for it, as a local build does), its protocol version checked both ways. The session's
    /// stdin stays open for the frames.
    func openBuildSession() throws -> BridgeSession {
        let session = try open(.init(op: .build, protocolVersion: RemoteBuildServer.protocolVersion, version: SwbuildVersion.current),
                               bridge: "bridge build", keepInput: true)
        guard session.reply.protocolVersion == RemoteBuildServer.protocolVersion else {
            session.kill()
            throw AttachError.remote(HostBridge.incompatible(remote: session.reply.version, remoteProtocol: session.reply.protocolVersion,
                                                             host: target))
        }
        return session
    }

    public func running() throws -> [RunningBuild] {
        let session = try open(.init(op: .running))
        return try BuildRecord.makeDecoder().decode([RunningBuild].self, from: session.readToEnd())
    }

    public func history() throws -> [BuildSummary] {
        let session = try open(.init(op: .history))
        return try BuildRecord.makeDecoder().decode([BuildSummary].self, from: session.readToEnd())
    }

    public func record(_ reference: String) throws -> (id: String, data: Data) {
        let session = try open(.init(op: .record, id: reference))
        return (session.reply.id ?? reference, session.readToEnd())
    }

    public func attach(_ reference: String?) throws -> AttachedBuild {
        let session = try open(.init(op: .attach, id: reference))
        let events = EventLineStream.events(read: { session.read() }, hangUp: { session.hangUp() })
        return AttachedBuild(id: session.reply.id ?? reference ?? "", live: session.reply.live ?? false, events: events)
    }

    /// Starts `ssh`, sends `request` and reads the bridge's reply line.
    func open(_ request: HostBridge.Request, bridge: String = "bridge", keepInput: Bool = false) throws -> BridgeSession {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ssh"] + arguments(bridge: bridge)
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        // A build's session keeps ssh's messages for its errors (a dashboard may own the terminal).
        let errors = batch || keepInput ? MessageTail() : nil
        if let errors { process.standardError = errors.pipe }
        do {
            try process.run()
        } catch {
            throw AttachError.io("cannot run ssh: \(error.localizedDescription)")
        }
        errors?.start()
        let session = BridgeSession(process: process, input: input, output: output, errors: errors)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // ssh may exit before reading (a bad option, a refused login): that is an answer-less
        // session below, not a signal or a trap here.
        signal(SIGPIPE, SIG_IGN)
        try? input.fileHandleForWriting.write(contentsOf: (try encoder.encode(request)) + Data("\n".utf8))
        if !keepInput { try? input.fileHandleForWriting.close() }
        guard let line = HostBridge.readLine(output.fileHandleForReading.fileDescriptor) else {
            // ssh's exit status says why (127: no such command there); give it a moment.
            session.waitBriefly()
            session.kill()
            throw AttachError.remote(session.failure(target: target))
        }
        guard let reply = try? JSONDecoder().decode(HostBridge.Reply.self, from: line) else {
            session.kill()
            throw AttachError.remote("remote: unexpected answer \"\(String(decoding: line.prefix(200), as: UTF8.self))\"")
        }
        guard reply.ok else {
            session.kill()
            if request.op == .build, reply.error?.contains("expected one JSON request line") == true {
                throw AttachError.remote(HostBridge.incompatible(remote: reply.version, remoteProtocol: nil, host: target))
            }
            throw AttachError.remote("remote: \(reply.error ?? "request refused")")
        }
        session.reply = reply
        return session
    }
}

/// The last lines ssh wrote to its stderr, read as they come.
final class MessageTail: @unchecked Sendable {
    let pipe = Pipe()
    private let lock = NSLock()
    private var text = ""
    private let done = DispatchSemaphore(value: 0)

    func start() {
        let handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.withLock {
                    text += String(decoding: data, as: UTF8.self)
                    if text.utf8.count > 8192 { text = String(text.suffix(4096)) }
                }
            }
            done.signal()
        }
    }

    /// The last non-empty line, once ssh closed its stderr (or after a second).
    func lastLine() -> String? {
        _ = done.wait(timeout: .now() + 1)
        done.signal()
        return lock.withLock { text }.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}

/// One running `ssh … bridge` and its pipes.
public final class BridgeSession: @unchecked Sendable {
    let process: Process
    let input: Pipe
    let output: Pipe
    let errors: MessageTail?
    var reply = HostBridge.Reply(ok: true)

    init(process: Process, input: Pipe, output: Pipe, errors: MessageTail? = nil) {
        self.process = process
        self.input = input
        self.output = output
        self.errors = errors
    }

    /// The next chunk of the payload; empty at its end.
    func read() -> Data {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = Glibc.read(output.fileHandleForReading.fileDescriptor, &buffer, buffer.count)
            if n > 0 { return Data(buffer[0..<n]) }
            if n < 0 && errno == EINTR { continue }
            return Data()
        }
    }

    func readToEnd() -> Data {
        var data = Data()
        while true {
            let chunk = read()
            if chunk.isEmpty { break }
            data.append(chunk)
        }
        process.waitUntilExit()
        return data
    }

    /// Ends the session early (the viewer left): the remote bridge sees its ssh go away.
    func hangUp() {
        if process.isRunning { process.terminate() }
    }

    /// Ends ssh at once, whatever it is doing (a frozen connection ignores gentler signals), and
    /// reaps it.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    var hasEnded: Bool { !process.isRunning }

    /// Gives ssh a moment to exit on its own (its status says why a session ended).
    func waitBriefly() {
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(20_000) }
    }

    /// Why the session ended without an answer, in one line.
    func failure(target: String) -> String {
        let said = errors?.lastLine()
        if !process.isRunning && process.terminationReason == .exit && process.terminationStatus == 127 {
            return "ssh \(target): swbuild-tui is not installed there (or not on the PATH ssh gives it; SWBUILD_REMOTE_COMMAND names it)"
                + (said.map { ": \($0)" } ?? "")
        }
        let status = process.isRunning ? "still running" : "exited with \(process.terminationStatus)"
        return "ssh \(target): " + (said ?? "no answer from the remote swbuild-tui (ssh \(status))")
    }
}
