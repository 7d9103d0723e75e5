import Foundation
import Testing

/// The registry suite (`scripts/registry-suite.sh`): pulls, pushes, auth (basic over TLS, bearer
/// tokens, a credential helper), a two-platform index, the registry and local build cache, and
/// every bad answer a registry can give, against Debian's docker-registry on 127.0.0.1 and a
/// registry that misbehaves on purpose; results checked with skopeo. Needs root (builds run
/// containers) and `scripts/setup.sh`'s packages.
@Suite(.serialized) struct RegistrySuiteTests {
    @Test func everyRegistryCasePasses() throws {
        guard getuid() == 0 else { Issue.record("the registry suite needs root"); return }
        let script = BinaryRunner.repositoryRoot.appendingPathComponent("scripts/registry-suite.sh").path
        let (status, text) = Spawn.run("/bin/bash", [script, "--binary", BinaryRunner.binary.path])
        let lines = text.split(separator: "\n")
        let failures = lines.filter { $0.hasPrefix("FAIL") }
        let summary = lines.last { $0.hasPrefix("registry suite:") } ?? "no summary"
        print(summary)
        #expect(status == 0, "\(summary)\n\(failures.joined(separator: "\n"))\n\(text.suffix(3000))")
        #expect(failures.isEmpty)
        #expect(lines.filter { $0.hasPrefix("PASS") }.count >= 12)
    }
}
