import Foundation
import Testing

/// `--build-context NAME=DIR|docker-image://REF|oci-layout://PATH[:TAG]`, as with buildx: a name
/// stands in for an image or a stage in FROM, COPY --from and RUN --mount from=.
@Suite(.serialized) struct BuildContextFlagTests {
    static let dockerfile = """
        FROM alpine:3.19 AS base
        RUN --mount=from=extra,target=/x cat /x/sub/hello.txt && ls /x/sub
        COPY --from=extra /sub/hello.txt /copied.txt

        FROM extra AS plain

        FROM layout AS fromlayout
        RUN cat /p

        FROM base
        COPY --from=plain /sub/hello.txt /plain.txt
        COPY --from=fromlayout /p /layout.txt
        RUN cat /copied.txt /plain.txt /layout.txt

        """

    @Test func namedContextsOfEveryKind() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let dir = try BinaryRunner.directory([
            "ctx/Dockerfile": Self.dockerfile,
            "extra/sub/hello.txt": "extra-file\n",
            "extra/sub/ignored.txt": "must not be seen\n",
            "extra/.dockerignore": "sub/ignored.txt\n",
            "layout-src/Dockerfile": "FROM busybox:test\nRUN echo from-layout > /p\n",
        ])
        let layoutTar = dir.appendingPathComponent("layout.tar").path
        let made = try env.build(["-o", "type=oci,dest=\(layoutTar)"], context: dir.appendingPathComponent("layout-src"))
        #expect(made.status == 0, "\(made.stderr)")
        let extra = dir.appendingPathComponent("extra").path
        let ctx = dir.appendingPathComponent("ctx")
        let flags = ["--build-context", "extra=\(extra)", "--build-context", "alpine:3.19=docker-image://busybox:test",
                     "--build-context", "layout=oci-layout://\(layoutTar)"]
        let first = try env.build(flags, context: ctx)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("[context extra] load from client"))
        #expect(first.stderr.contains("FROM alpine:3.19 (docker.io/library/busybox:test)"))
        #expect(first.stderr.contains("extra-file\n") && first.stderr.contains("from-layout"))
        #expect(!first.stderr.contains("ignored.txt"), "the named context's .dockerignore was not applied")

        // Unchanged: all from the cache. One file of the named context changed: only its readers re-run.
        let second = try env.build(flags, context: ctx)
        #expect(second.status == 0)
        #expect(!second.stderr.contains("extra-file\n"), "\(second.stderr)")
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: extra + "/sub/hello.txt"))
        let third = try env.build(flags, context: ctx)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("changed"))
        let id = try #require(try BuildCommandTests.latestBuildID(root: env.root))
        let inspect = try BinaryRunner.run(["history", "inspect", id, "--root", env.root, "--format", "json"])
        let steps = (try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])?["steps"] as? [[String: Any]] ?? []
        let layoutRun = steps.first { ($0["name"] as? String)?.contains("[fromlayout 2/2]") == true }
        #expect(layoutRun?["cached"] as? Bool == true, "the layout stage re-ran: \(inspect.stdout)")
        let copy = steps.first { ($0["name"] as? String)?.contains("COPY --from=extra") == true }
        #expect(copy?["cached"] as? Bool == false)

        // A layout directory with a tag works like the tar.
        let layoutDir = dir.appendingPathComponent("layout-dir").path
        try FileManager.default.createDirectory(atPath: layoutDir, withIntermediateDirectories: true)
        _ = try BuildCommandTests.tool("/bin/tar", ["-xf", layoutTar, "-C", layoutDir])
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layoutDir + "/index.json"))) as? [String: Any]
        let digest = try #require((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String)
        for reference in ["", "@" + digest] {
            let fromDir = try env.build(["--build-context", "extra=\(extra)", "--build-context", "alpine:3.19=docker-image://busybox:test",
                                         "--build-context", "layout=oci-layout://\(layoutDir)\(reference)"], context: ctx)
            #expect(fromDir.status == 0, "\(fromDir.stderr)")
        }
        let wrongTag = try env.build(["--build-context", "extra=\(extra)", "--build-context", "layout=oci-layout://\(layoutDir):nope"], context: ctx)
        #expect(wrongTag.status == 1)
        #expect(wrongTag.stderr.contains("has no image \"nope\""))
    }

    @Test func badValuesAreClearErrors() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM thing\n"])
        let cases: [(String, String)] = [
            ("thing=oci-layout:///nonexistent/layout", "does not exist"),
            ("thing=https://example.com/repo.git", "only docker-image://, oci-layout:// and local directories are supported"),
            ("thing=/nonexistent/dir", "not a directory"),
            ("missing-equals", "expected NAME=VALUE"),
        ]
        for (flag, message) in cases {
            let result = try env.build(["--build-context", flag], context: ctx)
            #expect(result.status == 1, "\(flag)")
            #expect(result.stderr.contains(message), "\(flag): \(result.stderr)")
        }
    }
}
