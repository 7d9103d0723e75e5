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
}
