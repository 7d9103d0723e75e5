import Foundation
import Testing
@testable import BuildCore

@Suite struct BuildContextTests {
    @Test func checksumsIgnoreMtimeButNotModeOrContent() async throws {
        let dir = TempDirectory("ctx")
        dir.write("a.txt", "hello")
        dir.write("src/b.go", "package b")
        let first = try await BuildContext.load(root: dir.path, patterns: [], statCache: nil)
        let a1 = first.checksum(selecting: "a.txt").digest
        let src1 = first.checksum(selecting: "src").digest
        // Touching changes mtime only: same checksum.
        utimes(dir.path + "/a.txt", nil)
        let second = try await BuildContext.load(root: dir.path, patterns: [], statCache: nil)
        #expect(second.checksum(selecting: "a.txt").digest == a1)
        chmod(dir.path + "/a.txt", 0o600)
        let third = try await BuildContext.load(root: dir.path, patterns: [], statCache: nil)
        #expect(third.checksum(selecting: "a.txt").digest != a1)
        #expect(third.checksum(selecting: "src").digest == src1)
        dir.write("src/b.go", "package c")
        let fourth = try await BuildContext.load(root: dir.path, patterns: [], statCache: nil)
        #expect(fourth.checksum(selecting: "src").digest != src1)
        #expect(fourth.checksum(selecting: "/src/").digest == fourth.checksum(selecting: "src").digest)
    }

    @Test func wildcardsAndIgnoredFiles() async throws {
        let dir = TempDirectory("ctx")
        dir.write("a.go", "a")
        dir.write("b.go", "b")
        dir.write("c.md", "c")
        dir.write("secret.go", "s")
        let ctx = try await BuildContext.load(root: dir.path, patterns: ["secret.go"], statCache: nil)
        #expect(ctx.checksum(selecting: "*.go").paths == ["a.go", "b.go"])
        #expect(ctx.checksum(selecting: "secret.go").paths.isEmpty)
        #expect(ctx.checksum(selecting: "[ab].go").paths == ["a.go", "b.go"])
    }

    @Test func statCacheMakesTheSecondLoadHashNothing() async throws {
        let state = TempDirectory("state")
        let dir = TempDirectory("ctx")
        for i in 0..<50 { dir.write("f\(i)", String(repeating: "x", count: i)) }
        let root = StateRoot(path: state.path)
        let first = try await BuildContext.load(root: dir.path, patterns: [], statCache: StatCache.open(root: root, contextPath: dir.path))
        #expect(first.filesHashed == 50)
        let second = try await BuildContext.load(root: dir.path, patterns: [], statCache: StatCache.open(root: root, contextPath: dir.path))
        #expect(second.filesHashed == 0)
        #expect(second.contents == first.contents)
        dir.write("f7", "changed")
        let third = try await BuildContext.load(root: dir.path, patterns: [], statCache: StatCache.open(root: root, contextPath: dir.path))
        #expect(third.filesHashed == 1)
    }

    /// The cache is looked up in one pass in path-byte order: odd names, files added and removed
    /// between loads, nested directories, and a cache of another version (hashed afresh once).
    @Test func statCacheLookupFollowsPathOrderWithOddNames() async throws {
        let state = TempDirectory("state")
        let dir = TempDirectory("ctx")
        let names = ["a b", "a\tb", "a/b", "a/c d/e", "ä", "z", "Z", "-", "a.b", "ab", "a-b/x"]
        func write(_ name: String, _ text: String) throws {
            if let slash = name.lastIndex(of: "/") {
                try FileManager.default.createDirectory(atPath: dir.path + "/" + name[..<slash], withIntermediateDirectories: true)
            }
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir.path + "/" + name))
        }
        for name in names { try write(name, "content of " + name) }
        let root = StateRoot(path: state.path)
        func load() async throws -> BuildContext {
            try await BuildContext.load(root: dir.path, patterns: [], statCache: StatCache.open(root: root, contextPath: dir.path))
        }
        let first = try await load()
        #expect(first.filesHashed == names.count)
        let second = try await load()
        #expect(second.filesHashed == 0 && second.contents == first.contents)
        try write("a b2", "new")
        try FileManager.default.removeItem(atPath: dir.path + "/ab")
        let third = try await load()
        #expect(third.filesHashed == 1)
        #expect(third.contents["a/c d/e"] == first.contents["a/c d/e"])
        #expect(try await load().filesHashed == 0)
        // A cache written by an older version (no version line) is not trusted.
        let file = StatCache.open(root: root, contextPath: dir.path).file
        try Data("1\t2\t3\t4\t5\t6\tsha256:bad\tz\n".utf8).write(to: URL(fileURLWithPath: file))
        let fourth = try await load()
        #expect(fourth.filesHashed == names.count && fourth.contents == third.contents)
    }
}

@Suite struct SolverPartsTests {
    @Test func scopedPathsNeverLeaveTheRoot() throws {
        let dir = TempDirectory("scoped")
        try FileManager.default.createDirectory(atPath: dir.path + "/real", withIntermediateDirectories: true)
        symlink("/etc", dir.path + "/abs")
        symlink("../../..", dir.path + "/up")
        symlink("real", dir.path + "/rel")
        #expect(try ScopedPath.resolve("/abs/passwd", in: dir.path) == dir.path + "/etc/passwd")
        #expect(try ScopedPath.resolve("/up/x", in: dir.path) == dir.path + "/x")
        #expect(try ScopedPath.resolve("../../etc", in: dir.path) == dir.path + "/etc")
        #expect(try ScopedPath.resolve("rel/f", in: dir.path) == dir.path + "/real/f")
        #expect(try ScopedPath.resolve("rel", in: dir.path, followFinal: false) == dir.path + "/rel")
    }

    @Test func globMatchFollowsFilepathMatch() {
        #expect(GlobMatch.matches(pattern: "*.go", path: "a.go"))
        #expect(!GlobMatch.matches(pattern: "*.go", path: "dir/a.go"))
        #expect(GlobMatch.matches(pattern: "d?r/[a-c].go", path: "dir/b.go"))
        #expect(!GlobMatch.matches(pattern: "[^a].go", path: "a.go"))
        #expect(GlobMatch.matches(pattern: "a\\*", path: "a*"))
    }

    @Test func userResolution() {
        let dir = TempDirectory("users")
        dir.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n")
        dir.write("etc/group", "root:x:0:\nstaff:x:50:app\napp:x:1001:\n")
        let r = UserResolver(rootfs: dir.path)
        #expect(r.identity("app") == .init(uid: 1000, gid: 1001, additionalGids: [50]))
        #expect(r.identity("app:staff")?.gid == 50)
        #expect(r.identity("1000")?.gid == 1001)
        #expect(r.identity("42:43") == .init(uid: 42, gid: 43, additionalGids: []))
        #expect(r.identity("nobody") == nil)
    }

    @Test func missReasonsNameTheChange() throws {
        let state = TempDirectory("explain")
        let root = StateRoot(path: state.path)
        let run = { (env: [String]) in
            Vertex(digest: Vertex.digest(of: .exec(ExecOp(hasRoot: true, args: ["sh"], env: env, cwd: "/", user: "")), inputs: []),
                   op: .exec(ExecOp(hasRoot: true, args: ["sh"], env: env, cwd: "/", user: "")), inputs: [], name: "[build 2/3] RUN make")
        }
        let first = MissExplainer(root: root, dockerfilePath: "/x/Dockerfile", target: nil, argNames: ["VERSION"])
        let v1 = run(["VERSION=1"])
        #expect(first.explainMiss(v1, key: "k1", inputKeys: [], content: [], rerunInputs: []) == "first build")
        first.record(v1, key: "k1", inputKeys: [], content: [ContentChecksum(selection: "src", digest: "d1", files: ["src/a": "1", "src/b": "2"])], reran: true)
        first.save()
        let second = MissExplainer(root: root, dockerfilePath: "/x/Dockerfile", target: nil, argNames: ["VERSION"])
        #expect(second.explainMiss(run(["VERSION=2"]), key: "k2", inputKeys: [], content: [], rerunInputs: [])
                == "build arg VERSION changed: \"1\" → \"2\"")
        #expect(second.explainMiss(v1, key: "k2", inputKeys: [], content: [], rerunInputs: ["[base 2/2] COPY . ."])
                == "input step re-ran: [base 2/2] COPY . .")
        let changed = second.explainMiss(v1, key: "k2", inputKeys: [],
                                         content: [ContentChecksum(selection: "src", digest: "d2", files: ["src/a": "9", "src/b": "2"])],
                                         rerunInputs: [])
        #expect(changed == "files changed: src/a")
    }

    @Test func cacheKeysAreStableAndSensitive() {
        let v = Vertex(digest: Vertex.digest(of: .merge, inputs: []), op: .merge, inputs: [], name: "m")
        let a = CacheKeyBuilder.key(for: v, inputKeys: ["k"], content: ["c"])
        #expect(a == CacheKeyBuilder.key(for: v, inputKeys: ["k"], content: ["c"]))
        #expect(a != CacheKeyBuilder.key(for: v, inputKeys: ["k"], content: ["d"]))
        #expect(a != CacheKeyBuilder.key(for: v, inputKeys: ["j"], content: ["c"]))
    }
}
