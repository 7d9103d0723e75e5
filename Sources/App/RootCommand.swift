import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui root`: prints the state directory in use, so scripts can find it.
struct RootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "root", abstract: "Print the state directory in use.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        print(global.stateRoot.path)
    }
}
