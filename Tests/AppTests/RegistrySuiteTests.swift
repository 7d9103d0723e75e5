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
        let suite = ScriptSuite("registry-suite.sh", summaryPrefix: "registry suite:")
        let failures = suite.lines(startingWith: "FAIL")
        #expect(suite.status == 0, "\(suite.summary)\n\(failures.joined(separator: "\n"))\n\(suite.text.suffix(3000))")
        #expect(failures.isEmpty)
        #expect(suite.lines(startingWith: "PASS").count >= 13)
    }
}
