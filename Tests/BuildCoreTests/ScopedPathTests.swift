@testable import BuildCore
import Foundation
import Testing

/// `ScopedPath` resolves paths from a build inside their root as a chroot would, and fails
/// rather than hand back anything the host could resolve differently.
@Suite struct ScopedPathTests {
    func link(_ dir: TempDirectory, _ name: String, to target: String) {
        try? FileManager.default.createDirectory(atPath: PathText.parent(of: dir.path + "/" + name), withIntermediateDirectories: true)
        symlink(target, dir.path + "/" + name)
    }

    @Test func absoluteLinksAndDotDotStayInsideTheRoot() throws {
        let dir = TempDirectory("scoped")
        dir.write("etc/passwd", "image\n")
        link(dir, "escape", to: "/")
        link(dir, "up", to: "../../../../..")
        #expect(try ScopedPath.resolve("/escape/etc/passwd", in: dir.path) == dir.path + "/etc/passwd")
        #expect(try ScopedPath.resolve("up/etc/passwd", in: dir.path) == dir.path + "/etc/passwd")
        #expect(try ScopedPath.resolve("../../../etc/passwd", in: dir.path) == dir.path + "/etc/passwd")
        #expect(try ScopedPath.resolve("/escape", in: dir.path) == dir.path)
        #expect(try ScopedPath.resolve("/", in: dir.path) == dir.path)
        #expect(try ScopedPath.read("/escape/etc/passwd", in: dir.path) == Data("image\n".utf8))
    }

    @Test func theLastNameIsKeptWhenNotFollowed() throws {
        let dir = TempDirectory("scoped")
        link(dir, "a/link", to: "/etc")
        link(dir, "b", to: "a")
        #expect(try ScopedPath.resolve("/b/link", in: dir.path, followFinal: false) == dir.path + "/a/link")
        #expect(try ScopedPath.resolve("/b/link/x", in: dir.path, followFinal: false) == dir.path + "/etc/x")
    }

    @Test func danglingLinksResolveToTheirTargetInsideTheRoot() throws {
        let dir = TempDirectory("scoped")
        link(dir, "dangling", to: "/tmp/new/file")
        link(dir, "rel", to: "../../x/y")
        #expect(try ScopedPath.resolve("dangling", in: dir.path) == dir.path + "/tmp/new/file")
        #expect(try ScopedPath.resolve("rel/z", in: dir.path) == dir.path + "/x/y/z")
        #expect(try ScopedPath.resolve("missing/a/b", in: dir.path) == dir.path + "/missing/a/b")
    }

    @Test func aChainLongerThanTheLimitFailsInsteadOfFallingBackToTheHost() throws {
        let dir = TempDirectory("scoped")
        link(dir, "l0", to: "/")
        for i in 1...45 { link(dir, "l\(i)", to: "l\(i - 1)") }
        #expect(throws: ScopedPath.Failure.self) { try ScopedPath.resolve("/l45/etc/passwd", in: dir.path) }
        // A dangling chain too: each hop is counted.
        for i in 0...45 { unlink(dir.path + "/d\(i)") }
        link(dir, "d0", to: "/nowhere")
        for i in 1...45 { link(dir, "d\(i)", to: "d\(i - 1)") }
        #expect(throws: ScopedPath.Failure.self) { try ScopedPath.resolve("/d45", in: dir.path) }
        link(dir, "loop", to: "loop")
        #expect(throws: ScopedPath.Failure.self) { try ScopedPath.resolve("/loop/x", in: dir.path) }
    }

    @Test func readsNeverOpenAnythingButRegularFiles() throws {
        let dir = TempDirectory("scoped")
        mkfifo(dir.path + "/fifo", 0o600)
        #expect(throws: ScopedPath.Failure.self) { try ScopedPath.read("fifo", in: dir.path) }
        #expect(try ScopedPath.read("absent", in: dir.path) == nil)
        link(dir, "passwd", to: "/etc/passwd")
        #expect(try ScopedPath.read("passwd", in: dir.path) == nil)
    }

    @Test func urlFileNamesAreOneComponent() {
        #expect(URLSource.filename(decodedPath: "/../../../tmp/x") == "x")
        #expect(URLSource.filename(decodedPath: "/a/..") == "index.html")
        #expect(URLSource.filename(decodedPath: "/") == "index.html")
        #expect(URLSource.filename(decodedPath: "/a/b.tar.gz") == "b.tar.gz")
        #expect(URLSource("http://127.0.0.1/x/..%2F..%2Fetc%2Fswbuild-pwned")?.filename == "swbuild-pwned")
    }

    @Test func deeplyNestedSubstitutionIsRefused() {
        var word = "x"
        for _ in 0..<5000 { word = "${A:-" + word + "}" }
        let lexer = ShellLexer()
        #expect(throws: ShellExpansionError.nestedTooDeeply) { try lexer.expandWord(word, environment: ShellEnvironment([])) }
        var shallow = "x"
        for _ in 0..<20 { shallow = "${A:-" + shallow + "}" }
        #expect((try? lexer.expandWord(shallow, environment: ShellEnvironment([]))) == "x")
    }
}
