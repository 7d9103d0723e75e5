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
        let unsafe = text.split(separator: "\n").filter { $0.hasPrefix("UNSAFE") }
        let summary = text.split(separator: "\n").last { $0.hasPrefix("hostile suite:") } ?? "no summary"
        print(summary)
        #expect(process.terminationStatus == 0, "\(summary)\n\(unsafe.joined(separator: "\n"))\n\(text.suffix(4000))")
        #expect(unsafe.isEmpty, "\(unsafe.joined(separator: "\n"))")
        let cases = (try? FileManager.default.contentsOfDirectory(
            atPath: BinaryRunner.repositoryRoot.appendingPathComponent("Tests/Fixtures/hostile").path)) ?? []
        #expect(cases.count >= 90, "the suite has \(cases.count) cases")
        #expect(summary.contains("\(cases.count)/\(cases.count) safe"), "\(summary)")
    }
}
