import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui history export ID --format chrome-trace|otlp-json [-o FILE]`: a recorded build as
/// a trace for Perfetto (Chrome trace JSON) or Jaeger (OTLP/JSON). Log output is left out.
struct HistoryExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a build's steps as a trace (Perfetto or Jaeger).")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case chromeTrace = "chrome-trace"
        case otlpJSON = "otlp-json"

        var traceFormat: TraceExport.Format {
            switch self {
            case .chromeTrace: return .chromeTrace
            case .otlpJSON: return .otlpJSON
            }
        }
    }

    @OptionGroup var global: GlobalOptions
    @Option(help: "chrome-trace (Perfetto, chrome://tracing) or otlp-json (Jaeger, OpenTelemetry).") var format: Format
    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (replaced atomically) instead of stdout.", valueName: "file"))
    var output: String?
    @Argument(help: "Build id (or a unique prefix).") var id: String

    func run() throws {
        let text: String
        do {
            let (fullID, data) = try global.buildHost().record(id)
            let events = BuildRecord.decode(data).events
            guard !events.isEmpty else { exitWith(message: "build record \(fullID) has no readable events") }
            text = TraceExport.render(events, id: fullID, format: format.traceFormat)
        } catch {
            exitWith(message: "\(error)")
        }
        guard let output, output != "-" else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let path = URL(fileURLWithPath: output).path
        do {
            try AtomicFile.write(Data(text.utf8), to: path)
        } catch {
            exitWith(message: "cannot write \(output): \(error.localizedDescription)")
        }
    }
}
