import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui history diff A B [--format json]`: two recorded builds side by side, B against
/// A: the line saying why B took longer (or less), what changed between them (build args,
/// context files, base images, the Dockerfile), then a row per step.
struct HistoryDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Compare two builds: per-step times, cache flips and why, changed args, files and base images.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "table or json.") var format: ListFormat = .table
    @Argument(help: "The baseline build's id (or a unique prefix).") var a: String
    @Argument(help: "The build to compare with it.") var b: String

    func run() throws {
        do {
            let diff = try HistoryDiff.compare(a, b, on: global.buildHost())
            switch format {
            case .json: print(try diff.json())
            case .table:
                // As wide as the terminal (at least 80, so the columns stay readable).
                let width = max(80, TerminalWidth.standardOutput(environment: ProcessInfo.processInfo.environment))
                FileHandle.standardOutput.write(Data(diff.text(width: width).utf8))
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}
