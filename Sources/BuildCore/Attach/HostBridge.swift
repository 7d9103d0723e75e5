import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The remote end of `--host ssh://…`: `swbuild-tui bridge`, run by `ssh`, answers one request
/// on its stdin from the builds of its own machine and writes the answer to its stdout. This is
/// how `docker -H ssh://` works too (`docker system dial-stdio`): no daemon port is ever opened,
/// and ssh does all authentication.
///
/// Wire format: the client writes one `BridgeRequest` JSON line. The bridge writes one
/// `BridgeReply` JSON line, then, when the reply is ok, the payload until it closes:
/// - `running`: a JSON array of `RunningBuild`; `history`: a JSON array of `BuildSummary`;
/// - `record`: the record's bytes;
/// - `attach`: build-record lines, relayed from the build's attach socket as they come (or the
///   record's bytes when the build has finished);
/// - `build` (`bridge build`): a remote build's frames both ways (`RemoteBuildServer`). Both
///   lines carry the protocol version; a client and a remote that differ say both and stop.
public enum HostBridge {
    public struct Request: Codable, Sendable, Equatable {
        public enum Operation: String, Codable, Sendable { case running, history, record, attach, build }
        public var op: Operation
        public var id: String?
        /// For `build`: the client's remote-build protocol and swbuild version.
        public var protocolVersion: Int?
        public var version: String?

        public init(op: Operation, id: String? = nil, protocolVersion: Int? = nil, version: String? = nil) {
            self.op = op
            self.id = id
            self.protocolVersion = protocolVersion
            self.version = version
        }
    }

    public struct Reply: Codable, Sendable, Equatable {
        public var ok: Bool
        public var error: String?
        /// For `record` and `attach`: the full id of the build.
        public var id: String?
        /// For `attach`: whether the payload follows a running build.
        public var live: Bool?
        /// The remote's remote-build protocol and swbuild version (every reply says them).
        public var protocolVersion: Int?
        public var version: String?

        public init(ok: Bool, error: String? = nil, id: String? = nil, live: Bool? = nil) {
            self.ok = ok
            self.error = error
            self.id = id
            self.live = live
            protocolVersion = RemoteBuildServer.protocolVersion
            version = SwbuildVersion.current
        }
    }

    /// A client and a remote that cannot build together, both versions said.
    static func incompatible(remote: String?, remoteProtocol: Int?, host: String) -> String {
        "the swbuild-tui on \(host) (\(remote ?? "an older version")) cannot run builds for this one "
            + "(\(SwbuildVersion.current)): remote-build protocol \(remoteProtocol.map(String.init) ?? "none") there, "
            + "\(RemoteBuildServer.protocolVersion) here; install the same swbuild-tui on both"
    }

    /// Serves one request from `input` onto `output` (file descriptors); returns the exit status.
    /// `mode` is the bridge's argument: `build` when ssh started `bridge build`.
    public static func serve(host: LocalBuildHost, mode: String? = nil, input: Int32 = 0, output: Int32 = 1) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        let out = Output(fd: output)
        guard let line = readLine(input),
              let request = try? JSONDecoder().decode(Request.self, from: line) else {
            out.reply(Reply(ok: false, error: "bridge: expected one JSON request line (this is swbuild-tui \(SwbuildVersion.current))"))
            return 2
        }
        do {
            switch request.op {
            case .build:
                guard request.protocolVersion == RemoteBuildServer.protocolVersion else {
                    out.reply(Reply(ok: false, error: "the client's swbuild-tui (\(request.version ?? "unknown")) speaks remote-build protocol "
                                    + "\(request.protocolVersion.map(String.init) ?? "none"), this one (\(SwbuildVersion.current)) "
                                    + "\(RemoteBuildServer.protocolVersion); install the same swbuild-tui on both"))
                    return 2
                }
                guard mode == "build" else {
                    out.reply(Reply(ok: false, error: "bridge: a build needs `bridge build`"))
                    return 2
                }
                out.reply(Reply(ok: true))
                let done = DispatchSemaphore(value: 0)
                let status = StatusBox()
                Task {
                    status.value = await RemoteBuildServer.serve(root: host.root, input: input, output: output)
                    done.signal()
                }
                done.wait()
                return status.value
            case .running:
                let builds = try host.running()
                out.reply(Reply(ok: true))
                out.write(try BuildRecord.makeEncoder().encode(builds) + Data("\n".utf8))
            case .history:
                let builds = try host.history()
                out.reply(Reply(ok: true))
                out.write(try BuildRecord.makeEncoder().encode(builds) + Data("\n".utf8))
            case .record:
                let (id, data) = try host.record(request.id ?? "")
                out.reply(Reply(ok: true, id: id))
                out.write(data)
            case .attach:
                let (id, source) = try host.attachSource(request.id)
                switch source {
                case .record(let data):
                    out.reply(Reply(ok: true, id: id, live: false))
                    out.write(data)
                case .socket(let socket):
                    out.reply(Reply(ok: true, id: id, live: true))
                    while true {
                        let chunk = socket.receive()
                        if chunk.isEmpty || !out.write(chunk) { break }
                    }
                }
            }
            return 0
        } catch {
            out.reply(Reply(ok: false, error: "\(error)"))
            return 1
        }
    }

    private final class StatusBox: @unchecked Sendable {
        var value: Int32 = 1
    }

    /// Bytes up to the first newline (without it), read one at a time so nothing after the
    /// request is consumed; nil at end of input or past 64 KiB.
    static func readLine(_ fd: Int32) -> Data? {
        var line = Data()
        var byte: UInt8 = 0
        while line.count < 65_536 {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return line.isEmpty ? nil : line }
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
        }
        return nil
    }

    private struct Output {
        let fd: Int32

        func reply(_ reply: Reply) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if let data = try? encoder.encode(reply) { write(data + Data("\n".utf8)) }
        }

        /// False when the reader is gone (ssh closed the channel).
        @discardableResult
        func write(_ data: Data) -> Bool {
            guard !data.isEmpty else { return true }
            return (try? data.withUnsafeBytes { try FileSink.writeAll(fd: fd, $0, path: "standard output") }) != nil
        }
    }
}
