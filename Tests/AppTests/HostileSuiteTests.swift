import Foundation
import Testing

/// The hostile suite (`scripts/hostile-suite.sh`, cases in `Tests/Fixtures/hostile/`): untrusted
/// Dockerfiles and contexts that try every known way out of a build, run against the built binary
/// with canaries planted on the host. Every case must come out safe. Needs root, runc and
/// slirp4netns, as every build does.
@Suite(.serialized) struct HostileSuiteTests {
    @Test func everyHostileBuildStaysInsideItsRoot() throws {
        guard getuid() == 0 else { Issue.record("the hostile suite needs root"); return }
        let script = BinaryRunner.repositoryRoot.appendingPathComponent("scripts/hostile-suite.sh").path
        let (status, text) = Spawn.run("/bin/bash", [script, "--binary", BinaryRunner.binary.path])
        let unsafe = text.split(separator: "\n").filter { $0.hasPrefix("UNSAFE") }
        let summary = text.split(separator: "\n").last { $0.hasPrefix("hostile suite:") } ?? "no summary"
        print(summary)
        #expect(status == 0, "\(summary)\n\(unsafe.joined(separator: "\n"))\n\(text.suffix(4000))")
        #expect(unsafe.isEmpty, "\(unsafe.joined(separator: "\n"))")
        let cases = (try? FileManager.default.contentsOfDirectory(
            atPath: BinaryRunner.repositoryRoot.appendingPathComponent("Tests/Fixtures/hostile").path))?.filter { !$0.hasSuffix(".md") } ?? []
        #expect(cases.count >= 90, "the suite has \(cases.count) cases")
        #expect(summary.contains("\(cases.count)/\(cases.count) safe"), "\(summary)")
    }
}
