import Foundation
import Testing

/// The differential suite (`scripts/buildkit-differential.sh`, cases in
/// `Tests/Fixtures/differential/`): each Dockerfile built by swbuild and by the BuildKit inside a
/// dockerd the script starts, both images flattened by one independent reader and compared path by
/// path and field by field. Needs root and Debian's `docker.io` (`scripts/setup.sh` installs it).
@Suite(.serialized) struct BuildKitDifferentialTests {
    @Test func everyCaseBuildsWhatBuildKitBuilds() throws {
        guard getuid() == 0 else { Issue.record("the differential suite needs root"); return }
        let suite = ScriptSuite("buildkit-differential.sh", summaryPrefix: "differential:")
        let differ = suite.lines(startingWith: "DIFFER")
        #expect(suite.status == 0, "\(suite.summary)\n\(differ.joined(separator: "\n"))\n\(suite.text.suffix(4000))")
        #expect(differ.isEmpty)
        let cases = (try? FileManager.default.contentsOfDirectory(
            atPath: BinaryRunner.repositoryRoot.appendingPathComponent("Tests/Fixtures/differential").path))?
            .filter { !$0.hasSuffix(".md") } ?? []
        #expect(cases.count >= 80, "the corpus has \(cases.count) cases")
    }

    /// Builds on a real Docker engine (`scripts/docker-engine-suite.sh`): progress, history,
    /// replay, cache, rawjson, failures, refused options, an unreachable engine, attach and
    /// contexts. In this suite so that its dockerd never runs beside the differential's.
    @Test func buildsOnADockerEngineAreSwbuildBuilds() throws {
        guard getuid() == 0 else { Issue.record("the docker engine suite needs root"); return }
        let suite = ScriptSuite("docker-engine-suite.sh", summaryPrefix: "docker engine:")
        let failed = suite.lines(startingWith: "FAIL")
        #expect(suite.status == 0, "\(suite.summary)\n\(failed.joined(separator: "\n"))\n\(suite.text.suffix(3000))")
        #expect(failed.isEmpty)
        #expect(suite.summary.hasPrefix("docker engine: 11/11"), "\(suite.summary)")
    }
}
