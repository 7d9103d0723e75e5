import Foundation
import Testing

/// The differential suite (`scripts/buildkit-differential.sh`, cases in
/// `Tests/Fixtures/differential/`): each Dockerfile built by swbuild and by the BuildKit inside a
/// dockerd the script starts, both images flattened by one independent reader and compared path by
/// path and field by field. Needs root and Debian's `docker.io` (`scripts/setup.sh` installs it).
@Suite(.serialized) struct BuildKitDifferentialTests {
    @Test func everyCaseBuildsWhatBuildKitBuilds() throws {
        guard getuid() == 0 else { Issue.record("the differential suite needs root"); return }
        let script = BinaryRunner.repositoryRoot.appendingPathComponent("scripts/buildkit-differential.sh").path
        let (status, text) = Spawn.run("/bin/bash", [script, "--binary", BinaryRunner.binary.path])
        let lines = text.split(separator: "\n")
        let differ = lines.filter { $0.hasPrefix("DIFFER") }
        let summary = lines.last { $0.hasPrefix("differential:") } ?? "no summary"
        print(summary)
        #expect(status == 0, "\(summary)\n\(differ.joined(separator: "\n"))\n\(text.suffix(4000))")
        #expect(differ.isEmpty)
        let cases = (try? FileManager.default.contentsOfDirectory(
            atPath: BinaryRunner.repositoryRoot.appendingPathComponent("Tests/Fixtures/differential").path))?
            .filter { !$0.hasSuffix(".md") } ?? []
        #expect(cases.count >= 80, "the corpus has \(cases.count) cases")
    }
}
