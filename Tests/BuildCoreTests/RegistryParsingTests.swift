import Foundation
import Testing
@testable import BuildCore

@Suite struct RegistryParsingTests {
    @Test func referencesNormaliseAsDockerDoes() throws {
        let cases: [(String, String)] = [
            ("busybox", "docker.io/library/busybox:latest"),
            ("busybox:1.36", "docker.io/library/busybox:1.36"),
            ("team/app", "docker.io/team/app:latest"),
            ("localhost/app", "localhost/app:latest"),
            ("127.0.0.1:5000/a/b/c:v1", "127.0.0.1:5000/a/b/c:v1"),
            ("ghcr.io/org/img", "ghcr.io/org/img:latest"),
            ("index.docker.io/library/alpine", "docker.io/library/alpine:latest"),
            ("busybox@sha256:" + String(repeating: "a", count: 64), "docker.io/library/busybox@sha256:" + String(repeating: "a", count: 64)),
            ("busybox:1@sha256:" + String(repeating: "b", count: 64), "docker.io/library/busybox:1@sha256:" + String(repeating: "b", count: 64)),
        ]
        for (input, expected) in cases {
            #expect(try RegistryReference(parsing: input).description == expected, "\(input)")
        }
        #expect(try RegistryReference(parsing: "busybox").apiHost == "registry-1.docker.io")
        #expect(try RegistryReference(parsing: "127.0.0.1:5000/x").manifestReference == "latest")
    }

    @Test func badReferencesAreRefused() {
        for bad in ["", "Busy/Box", "app:", "app:-x", "a//b", "app@sha256:short", "-app", "app:" + String(repeating: "t", count: 129)] {
            #expect(throws: RegistryError.self, "\(bad)") { try RegistryReference(parsing: bad) }
        }
    }

    @Test func challengesParseWithQuotesAndSeveralSchemes() {
        let header = #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push", Basic realm="x""#
        let parsed = AuthChallenge.parse(header)
        #expect(parsed.count == 2)
        #expect(parsed[0].scheme == "bearer")
        #expect(parsed[0].parameters["realm"] == "https://auth.docker.io/token")
        #expect(parsed[0].parameters["scope"] == "repository:library/busybox:pull,push")
        #expect(parsed[1].scheme == "basic")
        #expect(AuthChallenge.parse(#"Bearer realm="a\"b",error=insufficient_scope"#)[0].parameters["error"] == "insufficient_scope")
    }

    @Test func scopesCoverWhatTheyInclude() {
        #expect(RegistryClient.covers(["repository:a:pull,push"], "repository:a:pull"))
        #expect(!RegistryClient.covers(["repository:a:pull"], "repository:a:pull,push"))
        #expect(!RegistryClient.covers(["repository:a:pull"], "repository:b:pull"))
    }

    @Test func registrySettingsReadBuildkitdToml() throws {
        let toml = """
        debug = true
        [worker.oci]
          enabled = true
        [registry."docker.io"]
          mirrors = ["mirror.local:5000"]
        [registry."127.0.0.1:5000"]
          http = true
        [registry."secure.local"]
          ca = ["/etc/ca.pem"]
          insecure = false
        """
        let hosts = try RegistryHosts(toml: toml, file: "buildkitd.toml")
        #expect(hosts.pullHosts(for: "docker.io") == ["mirror.local:5000", "docker.io"])
        #expect(hosts.settings(for: "127.0.0.1:5000").http == true)
        #expect(hosts.settings(for: "secure.local").ca == ["/etc/ca.pem"])
        #expect(hosts.settings(for: "other").http == nil)
        #expect(throws: RegistryError.self) { try RegistryHosts(toml: "[registry.\"x\"\nhttp = ", file: "bad.toml") }
    }

    @Test func dockerConfigLoginsRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "swbuild-creds-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let credentials = DockerCredentials(path: dir + "/config.json")
        #expect(try credentials.credential(for: "docker.io") == nil)
        try credentials.store(RegistryCredential(username: "u", secret: "p:w"), for: "docker.io")
        try credentials.store(RegistryCredential(username: "v", secret: "q"), for: "127.0.0.1:5000")
        let text = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        #expect(text.contains("https://index.docker.io/v1/"))
        #expect(try credentials.credential(for: "docker.io") == RegistryCredential(username: "u", secret: "p:w"))
        #expect(try credentials.erase(for: "docker.io"))
        #expect(try credentials.credential(for: "docker.io") == nil)
        #expect(try credentials.credential(for: "127.0.0.1:5000")?.username == "v")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/config.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func cacheAndOutputSpecsParseAsBuildxSpellsThem() throws {
        #expect(try CacheSpec.parse("type=registry,ref=r/x:c,mode=max", exporting: true) == CacheSpec(location: .registry("r/x:c"), max: true))
        #expect(try CacheSpec.parse("r/x:c", exporting: false) == CacheSpec(location: .registry("r/x:c")))
        #expect(try CacheSpec.parse("type=local,src=/d", exporting: false) == CacheSpec(location: .local("/d")))
        #expect(throws: RegistryError.self) { try CacheSpec.parse("type=local,src=/d", exporting: true) }
        #expect(throws: RegistryError.self) { try CacheSpec.parse("type=gha", exporting: true) }
        let registry = try OutputSpec.parse("type=registry,name=a/b:1")
        #expect(registry.kind == .image && registry.push)
        let image = try OutputSpec.parse(#"type=image,"name=a/b:1,a/b:2",push=true"#)
        #expect(image.names == ["a/b:1", "a/b:2"] && image.push)
        #expect(throws: FrontendError.self) { try OutputSpec.parse("type=tar,dest=x,push=true") }
    }

    @Test func registryErrorsShowTheRegistrysOwnMessage() {
        let body = Data(#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#.utf8)
        #expect(RegistryError.answer("r/x:1", status: 404, body: body).description == "r/x:1: 404 Not Found: MANIFEST_UNKNOWN: manifest unknown")
        #expect(RegistryError.answer("r/x:1", status: 502, body: Data("<html>bad gateway</html>\nmore".utf8)).description
            == "r/x:1: 502 Bad Gateway: <html>bad gateway</html>")
    }
}
