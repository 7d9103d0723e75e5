import Foundation

/// A registry login: a user name and password, or an identity (refresh) token.
public struct RegistryCredential: Sendable, Equatable {
    public var username: String
    public var secret: String
    /// docker's `identitytoken`: an OAuth refresh token instead of a password.
    public var identityToken: String?

    public init(username: String, secret: String, identityToken: String? = nil) {
        self.username = username
        self.secret = secret
        self.identityToken = identityToken
    }
}

/// docker's credential file, `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`):
/// `auths` entries (base64 `user:password`, `identitytoken`), `credHelpers` per host and a
/// default `credsStore`, both through the `docker-credential-NAME get|store|erase` protocol.
/// `login` and `logout` write the same file, keeping every key they do not own.
public struct DockerCredentials: Sendable {
    public let path: String

    public init(path: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let path {
            self.path = path
        } else if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty {
            self.path = directory + "/config.json"
        } else {
            self.path = (environment["HOME"] ?? NSHomeDirectory()) + "/.docker/config.json"
        }
    }

    /// The key docker uses for a registry in `auths` and with helpers.
    public static func serverKey(_ registry: String) -> String {
        registry == "docker.io" ? "https://index.docker.io/v1/" : registry
    }

    /// The credential for `registry`, or nil for anonymous access.
    public func credential(for registry: String) throws -> RegistryCredential? {
        let file = try readFile()
        let key = Self.serverKey(registry)
        if let helper = hostHelper(in: file, for: registry) {
            return try CredentialHelper(name: helper).get(serverURL: key)
        }
        if let store = file["credsStore"] as? String, !store.isEmpty {
            if let found = try CredentialHelper(name: store).get(serverURL: key) { return found }
        }
        let auths = file["auths"] as? [String: Any] ?? [:]
        let entry = (auths[key] ?? auths[registry] ?? auths["https://" + registry] ?? auths["http://" + registry]) as? [String: Any]
        guard let entry else { return nil }
        let identity = (entry["identitytoken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        if let auth = entry["auth"] as? String, !auth.isEmpty {
            guard let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                  let colon = decoded.firstIndex(of: ":") else {
                throw RegistryError("\(path): the auth entry for \(key) is not base64 of user:password")
            }
            return RegistryCredential(username: String(decoded[..<colon]), secret: String(decoded[decoded.index(after: colon)...]),
                                      identityToken: identity)
        }
        if let identity { return RegistryCredential(username: "", secret: "", identityToken: identity) }
        return nil
    }

    /// Stores a login: through the host's helper or the default store when one is set, else in
    /// `auths`. The file is replaced atomically with mode 0600.
    public func store(_ credential: RegistryCredential, for registry: String) throws {
        var file = try readFile()
        let key = Self.serverKey(registry)
        if let helper = helperName(in: file, for: registry) {
            try CredentialHelper(name: helper).store(serverURL: key, credential: credential)
            var auths = file["auths"] as? [String: Any] ?? [:]
            auths[key] = [String: Any]()
            file["auths"] = auths
        } else {
            var auths = file["auths"] as? [String: Any] ?? [:]
            let encoded = Data((credential.username + ":" + credential.secret).utf8).base64EncodedString()
            auths[key] = ["auth": encoded]
            file["auths"] = auths
        }
        try writeFile(file)
    }

    /// Forgets a login; false when there was none.
    @discardableResult
    public func erase(for registry: String) throws -> Bool {
        var file = try readFile()
        let key = Self.serverKey(registry)
        var found = false
        if let helper = helperName(in: file, for: registry) {
            found = (try? CredentialHelper(name: helper).get(serverURL: key)) != nil
            try CredentialHelper(name: helper).erase(serverURL: key)
        }
        if var auths = file["auths"] as? [String: Any] {
            for candidate in [key, registry] where auths[candidate] != nil {
                auths[candidate] = nil
                found = true
            }
            file["auths"] = auths
        }
        try writeFile(file)
        return found
    }

    /// `credHelpers`' entry for the host.
    private func hostHelper(in file: [String: Any], for registry: String) -> String? {
        guard let helpers = file["credHelpers"] as? [String: Any] else { return nil }
        return (helpers[Self.serverKey(registry)] ?? helpers[registry]) as? String
    }

    /// The helper that stores and erases the host's login: its own, else the default store.
    private func helperName(in file: [String: Any], for registry: String) -> String? {
        if let helper = hostHelper(in: file, for: registry) { return helper }
        if let store = file["credsStore"] as? String, !store.isEmpty { return store }
        return nil
    }

    private func readFile() throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x09 || $0 == 0x0d }) { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RegistryError("\(path) is not a JSON object")
        }
        return object
    }

    private func writeFile(_ object: [String: Any]) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        let temporary = path + ".tmp-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: temporary, contents: data + Data("\n".utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw RegistryError("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw RegistryError("cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// docker's credential helper protocol: `docker-credential-NAME get` reads the server URL on
/// stdin and answers `{"ServerURL","Username","Secret"}` (user `<token>` means an identity
/// token); `store` reads that JSON; `erase` reads the URL. The secret travels only through pipes.
public struct CredentialHelper: Sendable {
    public let name: String

    public init(name: String) { self.name = name }

    public func get(serverURL: String) throws -> RegistryCredential? {
        let (status, output, error) = try run("get", input: Data(serverURL.utf8))
        if status != 0 {
            let message = String(decoding: output + error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if message.lowercased().contains("credentials not found") { return nil }
            throw RegistryError("docker-credential-\(name) get \(serverURL) failed: \(message.split(separator: "\n").first ?? "exit \(status)")")
        }
        struct Answer: Decodable { var Username: String?; var Secret: String? }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: output) else {
            throw RegistryError("docker-credential-\(name) get \(serverURL): the answer is not JSON")
        }
        let username = answer.Username ?? ""
        let secret = answer.Secret ?? ""
        if username == "<token>" { return RegistryCredential(username: "", secret: "", identityToken: secret) }
        return RegistryCredential(username: username, secret: secret)
    }

    public func store(serverURL: String, credential: RegistryCredential) throws {
        let body = try JSONSerialization.data(withJSONObject: ["ServerURL": serverURL, "Username": credential.username,
                                                               "Secret": credential.secret])
        let (status, output, error) = try run("store", input: body)
        guard status == 0 else {
            throw RegistryError("docker-credential-\(name) store \(serverURL) failed: \(String(decoding: output + error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    public func erase(serverURL: String) throws {
        _ = try run("erase", input: Data(serverURL.utf8))
    }

    private func run(_ verb: String, input: Data) throws -> (Int32, Data, Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["docker-credential-" + name, verb]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do {
            try process.run()
        } catch {
            throw RegistryError("the credential helper docker-credential-\(name) cannot be started: \(error)")
        }
        stdin.fileHandleForWriting.write(input)
        try? stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errorText = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            throw RegistryError("the credential helper docker-credential-\(name) is not on PATH")
        }
        return (process.terminationStatus, output, errorText)
    }
}
