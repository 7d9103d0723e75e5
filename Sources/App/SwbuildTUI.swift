import ArgumentParser
import BuildCore
import Foundation

/// The `swbuild-tui` command line: argument parsing and wiring only; the work is in BuildCore.
@main
struct SwbuildTUI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swbuild-tui",
        abstract: "A BuildKit-class Dockerfile builder with a live terminal dashboard.",
        version: SwbuildVersion.current,
        subcommands: [HomeCommand.self, BuildCommand.self, AttachCommand.self, ReplayCommand.self, ImageCommand.self, LoginCommand.self, LogoutCommand.self, HistoryCommand.self, LayersCommand.self, ContextCommand.self, DiskUsageCommand.self, PruneCommand.self, DebugCommand.self, RootCommand.self, BridgeCommand.self],
        defaultSubcommand: HomeCommand.self
    )

    /// Global options may come before the subcommand, as docker's do (`swbuild-tui --root DIR
    /// build .`, `swbuild-tui -H ssh://host attach`).
    static func main() async {
        await main(GlobalOptions.hoistingLeadingOptions(Array(Swift.CommandLine.arguments.dropFirst())))
    }
}

