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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, "--binary", BinaryRunner.binary.path]
        process.currentDirectoryURL = BinaryRunner.repositoryRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n")
        let differ = lines.filter { $0.hasPrefix("DIFFER") }
        let summary = lines.last { $0.hasPrefix("differential:") } ?? "no summary"
        print(summary)
        #expect(process.terminationStatus == 0, "\(summary)\n\(differ.joined(separator: "\n"))\n\(text.suffix(4000))")
        #expect(differ.isEmpty)
        let cases = (try? FileManager.default.contentsOfDirectory(
            atPath: BinaryRunner.repositoryRoot.appendingPathComponent("Tests/Fixtures/differential").path))?
            .filter { !$0.hasSuffix(".md") } ?? []
        #expect(cases.count >= 80, "the corpus has \(cases.count) cases")
    }
}
