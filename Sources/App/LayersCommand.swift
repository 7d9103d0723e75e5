import ArgumentParser
import BuildCore
import Foundation
import TUI

/// `swbuild-tui layers IMAGE`: an image's layers tied to the steps that made them, what each
/// added, changed and removed, and its efficiency (wasted space) as dive computes it; `--ci`
/// fails below thresholds for scripts. In a terminal, without `--layer`, `--format` or `--ci`,
/// it opens the layer explorer.
struct LayersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "layers", abstract: "Explore an image's layers: files per step, wasted space, efficiency.")

    enum Format: String, ExpressibleByArgument { case table, json }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Print this layer's files (1 is the bottom layer; -1 the top).") var layer: Int?
    @Option(help: "With --layer: all, added, changed or removed.") var filter: String = "all"
    @Option(help: "table or json.") var format: Format?
    @Flag(help: "Check the efficiency thresholds; exit 1 if one fails.") var ci = false
    @Option(name: .customLong("lowest-efficiency"), help: "--ci: the lowest efficiency allowed, 0 to 1 (or disabled).")
    var lowestEfficiency = "0.9"
    @Option(name: .customLong("highest-wasted-bytes"), help: "--ci: the most wasted bytes allowed, e.g. 20MB (or disabled).")
    var highestWastedBytes = "disabled"
    @Option(name: .customLong("highest-user-wasted-percent"),
            help: "--ci: the most wasted bytes allowed, as a ratio 0 to 1 of what the layers above the first add (or disabled).")
    var highestUserWastedPercent = "0.1"
    @Option(help: "The platform to pick from a multi-platform image (default: this machine's).") var platform: String?
    @Argument(help: "An image in the local store: a name, NAME@sha256:… or a manifest digest.") var image: String

    func run() throws {
        let store = openImageStore(global)
        let report: LayerReport
        do {
            report = try LayerReport.load(image: image, store: store, platform: parsePlatform(platform))
        } catch {
            exitWith(message: "\(image): \(error)")
        }
        if ci { Foundation.exit(checkThresholds(report) ? 0 : 1) }
        if let layer {
            guard let filter = LayerExplorer.Filter(rawValue: filter) else {
                exitWith(message: "--filter must be all, added, changed or removed, not \(filter)")
            }
            let index = layer < 0 ? report.layers.count + layer : layer - 1
            guard report.layers.indices.contains(index) else {
                exitWith(message: "\(image) has \(report.layers.count) layers; there is no layer \(layer)")
            }
            print(LayerText.files(report.layers[index], filter: filter), terminator: "")
            return
        }
        switch format {
        case .json?:
            print(LayerText.json(report, image: image))
        case .table?:
            print(LayerText.table(report, image: image), terminator: "")
        case nil:
            if Terminal.wantsDashboard("auto") {
                LayerExplorerRunner.run(LayerExplorer(title: image, report: report), options: .fromEnvironment())
            } else {
                print(LayerText.table(report, image: image), terminator: "")
            }
        }
    }

    /// dive's three CI rules, with its default thresholds; prints PASS/FAIL/SKIP per rule.
    func checkThresholds(_ report: LayerReport) -> Bool {
        let e = report.efficiency
        var passed = true
        func rule(_ name: String, _ setting: String, _ evaluate: (String) -> (ok: Bool, detail: String)?) {
            if setting == "disabled" {
                print("  SKIP: \(name): disabled")
                return
            }
            guard let (ok, detail) = evaluate(setting) else {
                exitWith(message: "--\(name): cannot read \"\(setting)\"")
            }
            print("  \(ok ? "PASS" : "FAIL"): \(name)\(ok ? "" : ": " + detail)")
            passed = passed && ok
        }
        print("efficiency: \(String(format: "%.4f", e.score * 100)) %")
        print("wastedBytes: \(e.wastedBytes) bytes (\(ByteCount.format(e.wastedBytes)))")
        print("userWastedPercent: \(String(format: "%.4f", e.userWastedPercent * 100)) %")
        rule("lowest-efficiency", lowestEfficiency) { text in
            guard let threshold = Double(text), (0...1).contains(threshold) else { return nil }
            return (e.score >= threshold, "image efficiency is too low (efficiency=\(String(format: "%.2f", e.score)) < threshold=\(text))")
        }
        rule("highest-wasted-bytes", highestWastedBytes) { text in
            guard let threshold = ByteCount.parse(text) else { return nil }
            return (e.wastedBytes <= threshold, "too many bytes wasted (wasted-bytes=\(e.wastedBytes) > threshold=\(threshold))")
        }
        rule("highest-user-wasted-percent", highestUserWastedPercent) { text in
            guard let threshold = Double(text), (0...1).contains(threshold) else { return nil }
            return (e.userWastedPercent <= threshold,
                    "too many bytes wasted, relative to the user bytes added (%-user-wasted-bytes=\(String(format: "%.2f", e.userWastedPercent)) > threshold=\(text))")
        }
        print(passed ? "Result: PASS" : "Result: FAIL")
        return passed
    }
}
