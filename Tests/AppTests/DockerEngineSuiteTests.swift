import Foundation
import Testing

/// Builds on a real Docker engine (`scripts/docker-engine-suite.sh`): Debian's dockerd with
/// BuildKit inside, started privately; progress, history, replay, cache, rawjson, failures,
/// refused options, an unreachable engine and attach. Needs root and Debian's `docker.io`.
@Suite(.serialized) struct DockerEngineSuiteTests {
    @Test func buildsOnADockerEngineAreSwbuildBuilds() throws {
        guard getuid() == 0 else { Issue.record("the docker engine suite needs root"); return }
        let suite = ScriptSuite("docker-engine-suite.sh", summaryPrefix: "docker engine:")
        let failed = suite.lines(startingWith: "FAIL")
        #expect(suite.status == 0, "\(suite.summary)\n\(failed.joined(separator: "\n"))\n\(suite.text.suffix(3000))")
        #expect(failed.isEmpty)
        #expect(suite.summary.hasPrefix("docker engine: 10/10"), "\(suite.summary)")
    }
}
