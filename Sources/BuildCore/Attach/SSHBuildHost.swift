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

    /// The `ssh` command line of one bridge session.
    public var arguments: [String] {
        var args = ["-T", "-o", batch ? "ConnectTimeout=5" : "ConnectTimeout=30"]
        if batch { args += ["-o", "BatchMode=yes"] }
        if let user { args += ["-l", user] }
        if let port { args += ["-p", String(port)] }
        return args + ["--", host, remoteCommand + " bridge"]
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
    func open(_ request: HostBridge.Request) throws -> BridgeSession {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ssh"] + arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        let errors = batch ? Pipe() : nil
        if let errors { process.standardError = errors }
        do {
            try process.run()
        } catch {
            throw AttachError.io("cannot run ssh: \(error.localizedDescription)")
        }
        let session = BridgeSession(process: process, input: input, output: output)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // ssh may exit before reading (a bad option, a refused login): that is an answer-less
        // session below, not a signal or a trap here.
        signal(SIGPIPE, SIG_IGN)
        try? input.fileHandleForWriting.write(contentsOf: (try encoder.encode(request)) + Data("\n".utf8))
        try? input.fileHandleForWriting.close()
        guard let line = HostBridge.readLine(output.fileHandleForReading.fileDescriptor) else {
            process.waitUntilExit()
            let target = (user.map { $0 + "@" } ?? "") + host + (port.map { ":\($0)" } ?? "")
            let said = errors.flatMap { String(decoding: $0.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").last.map(String.init) }
            throw AttachError.remote("ssh \(target): " + (said ?? "no answer from the remote swbuild-tui (ssh exited with \(process.terminationStatus))"))
        }
        guard let reply = try? JSONDecoder().decode(HostBridge.Reply.self, from: line) else {
            session.hangUp()
            throw AttachError.remote("remote: unexpected answer \"\(String(decoding: line.prefix(200), as: UTF8.self))\"")
        }
        guard reply.ok else {
            session.hangUp()
            throw AttachError.remote("remote: \(reply.error ?? "request refused")")
        }
        session.reply = reply
        return session
    }
}

/// One running `ssh … bridge` and its pipes.
final class BridgeSession: @unchecked Sendable {
    let process: Process
    let input: Pipe
    let output: Pipe
    var reply = HostBridge.Reply(ok: true)

    init(process: Process, input: Pipe, output: Pipe) {
        self.process = process
        self.input = input
        self.output = output
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
}
