import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// What a registry host asked for and what this process holds for it: the challenge of its last
/// 401, bearer tokens per scope until they expire, the login read from docker's config, and
/// whether a loopback host turned out to speak plain HTTP. Shared by every request of a process.
actor RegistryAuthState {
    struct Token {
        var value: String
        var expires: Date
    }

    private var challenges: [String: AuthChallenge] = [:]
    private var tokens: [String: Token] = [:]
    private var logins: [String: RegistryCredential?] = [:]
    private var tlsHosts: Set<String> = []

    func challenge(for host: String) -> AuthChallenge? { challenges[host] }
    func setChallenge(_ challenge: AuthChallenge, for host: String) { challenges[host] = challenge }

    func token(for key: String) -> String? {
        guard let token = tokens[key] else { return nil }
        if token.expires <= Date() {
            tokens[key] = nil
            return nil
        }
        return token.value
    }

    func setToken(_ value: String, expires: Date, for key: String) { tokens[key] = Token(value: value, expires: expires) }

    private var fetching: [String: Task<Void, Error>] = [:]

    /// One token request per key at a time: blobs pushed in parallel share the first answer.
    func once(_ key: String, _ fetch: @escaping @Sendable () async throws -> Void) async throws {
        if let running = fetching[key] { return try await running.value }
        let task = Task { try await fetch() }
        fetching[key] = task
        defer { fetching[key] = nil }
        try await task.value
    }

    func login(for registry: String, reading credentials: DockerCredentials) throws -> RegistryCredential? {
        if let known = logins[registry] { return known }
        let found = try credentials.credential(for: registry)
        logins[registry] = found
        return found
    }

    func seed(_ credential: RegistryCredential, _ registry: String) { logins[registry] = .some(credential) }

    private var resolvable: Set<String> = []

    /// A host name that does not resolve fails at once with its own message, rather than after
    /// the connect timeout (SwiftNIO's resolver waits for it).
    func checkResolvable(_ host: String, what: String) async throws {
        guard !resolvable.contains(host) else { return }
        var name = host
        if name.hasPrefix("[") {
            name = String(name.dropFirst().prefix { $0 != "]" })
        } else if let colon = name.lastIndex(of: ":") {
            name = String(name[..<colon])
        }
        let lookup = name
        let failure = try await Blocking.run { () -> String? in
            var hints = addrinfo()
            hints.ai_socktype = UnixSocket.streamType
            var result: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(lookup, nil, &hints, &result)
            if let result { freeaddrinfo(result) }
            return status == 0 ? nil : String(cString: gai_strerror(status))
        }
        if let failure { throw RegistryError("\(what): cannot resolve \(name): \(failure)") }
        resolvable.insert(host)
    }

    func speaksTLS(_ host: String) -> Bool { tlsHosts.contains(host) }
    func markTLS(_ host: String) { tlsHosts.insert(host) }
}

/// Docker Hub's token protocol (the distribution "token authentication" spec): a 401 names a
/// realm, a service and a scope; the client asks the realm for a token — OAuth2 `POST` with the
/// login when it has one (falling back to `GET` with Basic auth for servers without it), `GET`
/// anonymously otherwise — and sends it as `Authorization: Bearer`.
enum TokenFetcher {
    struct Answer: Decodable {
        var token: String?
        var access_token: String?
        var expires_in: Int?
    }

    static func fetch(client: HTTPClient, challenge: AuthChallenge, scopes: [String], login: RegistryCredential?,
                      registry: String, tls: TLSConfiguration?) async throws -> (token: String, expires: Date) {
        guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm),
              components.scheme == "https" || components.scheme == "http" else {
            throw RegistryError("\(registry): the registry's auth challenge names no usable token realm")
        }
        let service = challenge.parameters["service"]
        if let login, !(login.identityToken ?? login.secret).isEmpty {
            var form: [(String, String)] = [("client_id", "swbuild")]
            if let service { form.append(("service", service)) }
            if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
            if let identity = login.identityToken {
                form += [("grant_type", "refresh_token"), ("refresh_token", identity)]
            } else {
                form += [("grant_type", "password"), ("username", login.username), ("password", login.secret)]
            }
            var request = HTTPClientRequest(url: realm)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
            request.body = .bytes(ByteBuffer(string: formEncode(form)))
            request.tlsConfiguration = tls
            let response = try await execute(client, request, registry: registry)
            let body = try await response.body.collect(upTo: 1 << 20)
            if response.status.code == 200 {
                return try decode(Data(buffer: body), registry: registry)
            }
            // Servers without OAuth answer 404/405 (GCR), 401 (Artifactory) or 400 (ACR): use GET.
            let fallback: Set<UInt> = [400, 401, 404, 405]
            guard fallback.contains(response.status.code), login.identityToken == nil else {
                throw authFailure(registry, status: Int(response.status.code), body: Data(buffer: body), login: login)
            }
        }
        var query = components.queryItems ?? []
        if let service { query.append(URLQueryItem(name: "service", value: service)) }
        for scope in scopes { query.append(URLQueryItem(name: "scope", value: scope)) }
        if let login { query.append(URLQueryItem(name: "account", value: login.username)) }
        components.queryItems = query.isEmpty ? nil : query
        guard let url = components.url?.absoluteString else { throw RegistryError("\(registry): invalid token realm \(realm)") }
        var request = HTTPClientRequest(url: url)
        if let login, login.identityToken == nil {
            request.headers.add(name: "Authorization", value: basic(login))
        }
        request.tlsConfiguration = tls
        let response = try await execute(client, request, registry: registry)
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200 else {
            throw authFailure(registry, status: Int(response.status.code), body: Data(buffer: body), login: login)
        }
        return try decode(Data(buffer: body), registry: registry)
    }

    static func basic(_ login: RegistryCredential) -> String {
        "Basic " + Data((login.username + ":" + login.secret).utf8).base64EncodedString()
    }

    static func authFailure(_ registry: String, status: Int, body: Data, login: RegistryCredential?) -> RegistryError {
        let who = login.map { $0.username.isEmpty ? "with an identity token" : "as \($0.username)" } ?? "anonymously"
        return RegistryError.answer("\(registry): authentication \(who) failed", status: status, body: body)
    }

    private static func execute(_ client: HTTPClient, _ request: HTTPClientRequest, registry: String) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, timeout: .seconds(30))
        } catch {
            throw RegistryError("\(registry): cannot reach the token server \(request.url.split(separator: "?").first ?? ""): \(RegistryClient.describe(error))")
        }
    }

    private static func decode(_ data: Data, registry: String) throws -> (String, Date) {
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data), let token = answer.token ?? answer.access_token,
              !token.isEmpty else {
            throw RegistryError("\(registry): the token server's answer holds no token")
        }
        // The spec's default lifetime is 60 s; keep a margin so a token never expires in flight.
        let lifetime = max(answer.expires_in ?? 60, 10)
        return (token, Date().addingTimeInterval(TimeInterval(lifetime) - 5))
    }

    static func formEncode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { key, value in
            key + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }.joined(separator: "&")
    }
}
