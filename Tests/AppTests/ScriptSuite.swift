import Foundation

/// A suite that lives in a script (`scripts/*-suite.sh`, the differential): run with the built
/// binary, its output split into lines, its one-line summary picked out.
struct ScriptSuite {
    let status: Int32
    let text: String
    let lines: [Substring]
    let summary: String

    /// Runs `scripts/NAME` with `--binary` and finds the line starting with `summaryPrefix`.
    init(_ name: String, summaryPrefix: String) {
        let script = BinaryRunner.repositoryRoot.appendingPathComponent("scripts/" + name).path
        (status, text) = Spawn.run("/bin/bash", [script, "--binary", BinaryRunner.binary.path])
        lines = text.split(separator: "\n")
        summary = lines.last { $0.hasPrefix(summaryPrefix) }.map(String.init) ?? "no summary"
        print(summary)
    }

    func lines(startingWith prefix: String) -> [Substring] { lines.filter { $0.hasPrefix(prefix) } }
}
