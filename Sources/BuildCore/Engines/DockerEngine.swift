import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A Docker engine reached through its Engine API on a unix socket, building with the BuildKit
/// inside it (`POST /build?version=2`, the request `docker build` makes with BuildKit on).
public struct DockerEngine: Sendable {
    /// `unix:///var/run/docker.sock`, as `DOCKER_HOST` spells it.
    public let host: String
    let socketPath: String
    /// The Engine API version every request names: 1.41 is docker 20.10's, which later engines
    /// still accept, so one client speaks to both.
    static let apiVersion = "v1.41"

    public static var defaultHost: String {
        ProcessInfo.processInfo.environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "unix:///var/run/docker.sock"
    }

    /// For an `ssh://` engine: the relay its connections go through (stopped by `close`).
    let dialer: SSHDialer?

    public init(host: String = DockerEngine.defaultHost) throws(EngineError) {
        self.host = host
        if host.hasPrefix("ssh://") {
            do {
                let dialer = try SSHDialer(url: host)
                self.dialer = dialer
                socketPath = dialer.socketPath
            } catch {
                throw .unreachable(host, "\(error)")
            }
            return
        }
        guard host.hasPrefix("unix://"), host.count > "unix://".count else {
            throw .unsupportedHost(host)
        }
        dialer = nil
        socketPath = String(host.dropFirst("unix://".count))
    }

    /// Ends what the engine's connections needed (an ssh relay).
    public func close() { dialer?.stop() }

    /// The URL's host is the percent-encoded socket path, which Go's server refuses as a `Host`
    /// header; the docker client sends this name instead.
    static let hostHeader = "api.moby.localhost"

    static let transport: HTTPClient = {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10)))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    func url(_ path: String, query: [(String, String)] = []) throws(EngineError) -> String {
        var components = URLComponents()
        components.queryItems = query.isEmpty ? nil : query.map { URLQueryItem(name: $0.0, value: $0.1) }
        // `+` means a space to Go's query parser: spell it out.
        let encodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let uri = "/\(Self.apiVersion)\(path)" + (encodedQuery.map { "?" + $0 } ?? "")
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: uri) else { throw .unreachable(host, "bad socket path") }
        return url.absoluteString
    }

    /// `GET /version`: the engine's version, to say which engine a build ran on (and that one
    /// answers at all).
    public func version() async throws(EngineError) -> String {
        do {
            var request = HTTPClientRequest(url: try url("/version"))
            request.method = .GET
            request.headers.add(name: "Host", value: Self.hostHeader)
            let response = try await Self.transport.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok,
                  let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                  let version = object["Version"] as? String else {
                throw EngineError.unexpected(host, "GET /version answered \(response.status.code)")
            }
            return version
        } catch let error as EngineError {
            throw error
        } catch {
            throw .unreachable(host, Self.describe(error))
        }
    }

    /// Streams a build: `context` is a tar file of the filtered context, `query` the build's
    /// options; `line` hears each JSON line of the response as it arrives.
    func build(context: String, query: [(String, String)], line: @escaping @Sendable (Data) throws -> Void) async throws {
        var request = HTTPClientRequest(url: try url("/build", query: [("version", "2")] + query))
        request.method = .POST
        request.headers.add(name: "Host", value: Self.hostHeader)
        request.headers.add(name: "Content-Type", value: "application/x-tar")
        let size = try FileManager.default.attributesOfItem(atPath: context)[.size] as? Int64 ?? 0
        request.body = FileChunks.body(context, offset: 0, length: size) { _ in }
        let response: HTTPClientResponse
        do {
            response = try await Self.transport.execute(request, deadline: .distantFuture)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw EngineError.unreachable(host, Self.describe(error))
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 64 << 10)).map { Data(buffer: $0) } ?? Data()
            throw EngineError.refused(host, Self.message(in: body) ?? "HTTP \(response.status.code)")
        }
        var pending = Data()
        for try await buffer in response.body {
            pending.append(Data(buffer: buffer))
            while let newline = pending.firstIndex(of: 0x0A) {
                let one = pending[pending.startIndex..<newline]
                pending = Data(pending[pending.index(after: newline)...])
                if !one.isEmpty { try line(Data(one)) }
            }
        }
        if !pending.isEmpty { try line(pending) }
    }

    /// The `message` of an Engine API error body (`{"message": "..."}`).
    static func message(in body: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["message"] as? String
    }

    static func describe(_ error: Error) -> String {
        let text = "\(error)"
        if text.contains("connect") || text.contains("No such file") || text.contains("ENOENT") {
            return "cannot connect (\(text))"
        }
        return text
    }
}

/// What can go wrong with a build engine, each one line naming the engine.
public enum EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupportedHost(String)
    case unreachable(String, String)
    case refused(String, String)
    case unexpected(String, String)
    case undecodable(String, String)
    case unsupportedOption(String)

    public var description: String {
        switch self {
        case .unsupportedHost(let host):
            return "\(host): a Docker engine is reached at unix:///PATH or ssh://[user@]host[:port]"
        case .unreachable(let host, let why): return "Docker engine \(host) is unreachable: \(why)"
        case .refused(let host, let why): return "Docker engine \(host) refused the build: \(why)"
        case .unexpected(let host, let why): return "Docker engine \(host): \(why)"
        case .undecodable(let host, let why): return "Docker engine \(host) sent a progress message that does not decode: \(why)"
        case .unsupportedOption(let why): return why
        }
    }
}
