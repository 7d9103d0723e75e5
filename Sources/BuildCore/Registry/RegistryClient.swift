import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// The distribution API's transport: one HTTP client (async-http-client on SwiftNIO, HTTP/2 where
/// the registry offers it) for every registry of the process, with each host's TLS settings,
/// its auth (bearer tokens per scope, Basic), and retries with backoff for idempotent requests
/// on 5xx, 429 and dropped connections.
public final class RegistryClient: Sendable {
    public let hosts: RegistryHosts
    let credentials: DockerCredentials
    let auth = RegistryAuthState()

    /// Never deallocated, so never shut down mid-request; requests carry their own TLS settings.
    static let transport: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 5, allowCycles: false),
            timeout: .init(connect: .seconds(15), read: .seconds(60)))
        configuration.decompression = .disabled
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    var http: HTTPClient { Self.transport }

    public init(hosts: RegistryHosts = RegistryHosts(), credentials: DockerCredentials = DockerCredentials()) {
        self.hosts = hosts
        self.credentials = credentials
    }

    /// How many times an idempotent request is tried, and the first pause between tries.
    static let attempts = 4
    static let firstBackoff: Double = 0.25

    /// A body that can be produced again, for a request that must be retried after a 401.
    typealias BodyFactory = @Sendable () throws -> HTTPClientRequest.Body

    // MARK: - Hosts

    func tlsConfiguration(for host: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        let settings = hosts.settings(for: host)
        if settings.insecure == true { tls.certificateVerification = .none }
        for file in settings.ca ?? [] {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw RegistryError("\(host): cannot read the CA file \(file) named in the registry configuration")
            }
            tls.additionalTrustRoots.append(.file(file))
        }
        return tls
    }

    /// `https://host`, or `http://host` where configured. A loopback registry without settings is
    /// spoken to in plain HTTP first (containerd's rule for localhost), and in HTTPS once it
    /// answers that it wants TLS.
    func baseURL(for host: String) async -> String {
        let settings = hosts.settings(for: host)
        if settings.http == true { return "http://" + host }
        if mayUsePlainHTTP(host), !(await auth.speaksTLS(host)) { return "http://" + host }
        return "https://" + host
    }

    func mayUsePlainHTTP(_ host: String) -> Bool {
        let settings = hosts.settings(for: host)
        return settings.http == nil && settings.ca == nil && settings.insecure == nil && RegistryReference.isLoopback(host)
    }

    // MARK: - Requests

    /// Sends one request to `path` (`/v2/…`) or to an absolute URL on `host`, authorising it for
    /// `scopes` (answering the host's challenge once when it has none yet), and returns the answer
    /// whatever its status, except for 401 after the login was tried: that is thrown.
    func send(_ method: HTTPMethod, host: String, registry: String, path: String, headers: [(String, String)] = [],
              body: BodyFactory? = nil, scopes: [String], what: String, idempotent: Bool = true,
              timeout: TimeAmount = .seconds(120)) async throws -> HTTPClientResponse {
        try await auth.checkResolvable(host, what: what)
        var attempt = 0
        var authorisedFor: AuthChallenge?
        while true {
            attempt += 1
            let base = await baseURL(for: host)
            let url = path.hasPrefix("http://") || path.hasPrefix("https://") ? path : base + path
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "User-Agent", value: "swbuild")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let header = try await authorization(host: host, registry: registry, scopes: scopes) {
                request.headers.add(name: "Authorization", value: header)
            }
            if let body { request.body = try body() }
            if url.hasPrefix("https://") { request.tlsConfiguration = try tlsConfiguration(for: host) }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: timeout)
            } catch {
                if idempotent && attempt < Self.attempts && Self.isTransient(error) {
                    try await Self.pause(attempt)
                    continue
                }
                throw RegistryError("\(what): cannot reach \(host): \(Self.describe(error))")
            }
            let status = Int(response.status.code)
            if status == 400, url.hasPrefix("http://"), mayUsePlainHTTP(host) {
                let text = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
                if text.contains("HTTPS server") {
                    await auth.markTLS(host)
                    continue
                }
                return HTTPClientResponse(status: response.status, headers: response.headers,
                                          body: .bytes(ByteBuffer(string: text)))
            }
            if status == 401 {
                let bodyData = try? await response.body.collect(upTo: 64 << 10)
                let challenges = response.headers["WWW-Authenticate"].flatMap(AuthChallenge.parse)
                guard let challenge = challenges.first(where: { $0.scheme == "bearer" }) ?? challenges.first(where: { $0.scheme == "basic" }) else {
                    throw RegistryError.answer(what, status: status, body: bodyData.map { Data(buffer: $0) } ?? Data())
                }
                if authorisedFor == challenge || attempt > Self.attempts {
                    throw try await unauthorised(what, registry: registry, status: status, body: bodyData, challenge: challenge)
                }
                authorisedFor = challenge
                try await answer(challenge, host: host, registry: registry, scopes: scopes)
                continue
            }
            if idempotent && attempt < Self.attempts && (status >= 500 || status == 429) {
                _ = try? await response.body.collect(upTo: 64 << 10)
                try await Self.pause(attempt)
                continue
            }
            return response
        }
    }

    /// Reads a small answer whole (manifests, tokens, errors).
    func collect(_ response: HTTPClientResponse, limit: Int, what: String) async throws -> Data {
        do {
            return Data(buffer: try await response.body.collect(upTo: limit))
        } catch is NIOTooManyBytesError {
            throw RegistryError("\(what): the answer is larger than \(ByteCount.format(Int64(limit)))")
        } catch {
            throw RegistryError("\(what): the connection dropped: \(Self.describe(error))")
        }
    }

    /// Throws the registry's error answer unless the status is one of `expected`.
    func expect(_ response: HTTPClientResponse, _ expected: Set<Int>, what: String) async throws {
        let status = Int(response.status.code)
        guard !expected.contains(status) else { return }
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { Data(buffer: $0) } ?? Data()
        throw RegistryError.answer(what, status: status, body: body)
    }

    // MARK: - Auth

    private func authorization(host: String, registry: String, scopes: [String]) async throws -> String? {
        guard let challenge = await auth.challenge(for: host) else { return nil }
        if challenge.scheme == "basic" {
            guard let login = try await auth.login(for: registry, reading: credentials) else { return nil }
            return TokenFetcher.basic(login)
        }
        guard let token = await auth.token(for: Self.tokenKey(host, scopes)) else {
            try await answer(challenge, host: host, registry: registry, scopes: scopes)
            return await auth.token(for: Self.tokenKey(host, scopes)).map { "Bearer " + $0 }
        }
        return "Bearer " + token
    }

    private func answer(_ challenge: AuthChallenge, host: String, registry: String, scopes: [String]) async throws {
        await auth.setChallenge(challenge, for: host)
        guard challenge.scheme == "bearer" else { return }
        var wanted = scopes
        if let asked = challenge.parameters["scope"] {
            for scope in asked.split(separator: " ").map(String.init) where !Self.covers(wanted, scope) { wanted.append(scope) }
        }
        let login = try await auth.login(for: registry, reading: credentials)
        let realm = challenge.parameters["realm"] ?? ""
        let tls = realm.hasPrefix("https://") ? try tlsConfiguration(for: URLComponents(string: realm)?.host.map { h in
            URLComponents(string: realm)?.port.map { "\(h):\($0)" } ?? h } ?? host) : nil
        let key = Self.tokenKey(host, scopes)
        let client = http
        let asking = wanted
        let state = auth
        try await auth.once(key) {
            let (token, expires) = try await TokenFetcher.fetch(client: client, challenge: challenge, scopes: asking, login: login,
                                                                registry: registry, tls: tls)
            await state.setToken(token, expires: expires, for: key)
        }
    }

    /// Whether `scope` (`repository:NAME:pull`) asks for nothing `scopes` does not already ask for.
    static func covers(_ scopes: [String], _ scope: String) -> Bool {
        guard let colon = scope.lastIndex(of: ":") else { return scopes.contains(scope) }
        let resource = scope[..<colon]
        let actions = scope[scope.index(after: colon)...].split(separator: ",")
        return scopes.contains { held in
            guard let c = held.lastIndex(of: ":"), held[..<c] == resource else { return false }
            let heldActions = held[held.index(after: c)...].split(separator: ",")
            return actions.allSatisfy(heldActions.contains)
        }
    }

    private func unauthorised(_ what: String, registry: String, status: Int, body: ByteBuffer?, challenge: AuthChallenge) async throws -> RegistryError {
        let login = try await auth.login(for: registry, reading: credentials)
        let data = body.map { Data(buffer: $0) } ?? Data()
        if challenge.parameters["error"] == "insufficient_scope" {
            var error = RegistryError.answer("\(what): access denied (insufficient scope)", status: status, body: data)
            if login == nil { error.description += " (run `swbuild-tui login \(registry)`)" }
            return error
        }
        if login == nil {
            var error = RegistryError.answer("\(what): authentication required", status: status, body: data)
            error.description += " (run `swbuild-tui login \(registry)`)"
            return error
        }
        return RegistryError.answer("\(what): authentication failed", status: status, body: data)
    }

    static func tokenKey(_ host: String, _ scopes: [String]) -> String {
        host + " " + scopes.sorted().joined(separator: " ")
    }

    // MARK: - Errors

    static func pause(_ attempt: Int) async throws {
        let seconds = firstBackoff * pow(2, Double(attempt - 1))
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
    }

    static func isTransient(_ error: Error) -> Bool {
        if let client = error as? HTTPClientError {
            return client == .remoteConnectionClosed || client == .readTimeout || client == .connectTimeout
                || client == .deadlineExceeded || client == .cancelled
        }
        return error is IOError || error is ChannelError
    }

    static func describe(_ error: Error) -> String {
        if let registry = error as? RegistryError { return registry.description }
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode))
        }
        if let client = error as? HTTPClientError {
            switch client {
            case .remoteConnectionClosed: return "the connection was closed"
            case .readTimeout: return "no answer within the read timeout"
            case .connectTimeout: return "connection timed out"
            case .deadlineExceeded: return "timed out"
            default: return String(describing: client)
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
