import Foundation
import Testing
@testable import BuildCore

/// Contexts: created, listed, made current, removed, refused when malformed; kept 0600.
struct BuildEndpointsTests {
    @Test func contextsLiveInTheConfigDirectory() throws {
        let dir = TempDirectory("contexts")
        let store = BuildEndpoints(environment: ["SWBUILD_CONFIG": dir.path])
        #expect(try store.all() == [.local] && (try store.current()) == "default")
        try store.create(BuildEndpoint(name: "build-1", description: "ci", host: "ssh://ci@10.0.0.5:2222"))
        try store.create(BuildEndpoint(name: "engine", docker: "unix:///run/docker.sock"))
        #expect(try store.all().map(\.name) == ["default", "build-1", "engine"])
        try store.use("engine")
        #expect(try store.current() == "engine" && (try store.find("engine")).endpoint == "unix:///run/docker.sock")
        let mode = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try store.remove("engine")
        #expect(try store.current() == "default", "removing the current context goes back to default")
        #expect(throws: EndpointError.builtIn) { try store.remove("default") }
        #expect(throws: EndpointError.exists("build-1")) { try store.create(BuildEndpoint(name: "build-1", docker: "unix:///x")) }
    }

    @Test func malformedContextsAreRefused() {
        let dir = TempDirectory("contexts")
        let store = BuildEndpoints(environment: ["SWBUILD_CONFIG": dir.path])
        #expect(throws: EndpointError.self) { try store.create(BuildEndpoint(name: "-x", docker: "unix:///x")) }
        #expect(throws: EndpointError.self) { try store.create(BuildEndpoint(name: "a b", docker: "unix:///x")) }
        #expect(throws: EndpointError.self) { try store.create(BuildEndpoint(name: "both", host: "ssh://h", docker: "unix:///x")) }
        #expect(throws: EndpointError.self) { try store.create(BuildEndpoint(name: "neither")) }
        #expect(throws: EndpointError.self) { try store.create(BuildEndpoint(name: "tcp", docker: "tcp://1.2.3.4:2375")) }
        do {
            _ = try store.find("nope")
            Issue.record("found nope")
        } catch {
            #expect("\(error)" == "context \"nope\" not found (contexts: default)")
        }
        #expect(!FileManager.default.fileExists(atPath: store.path), "nothing was written")
    }
}
