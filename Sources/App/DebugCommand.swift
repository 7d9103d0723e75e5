import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui debug ...`: the frontend's intermediate results, for conformance checks and for
/// users who want to see what the builder understood.
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Show how swbuild reads a Dockerfile, its words, its context and its build graph.",
        subcommands: [DebugParse.self, DebugExpand.self, DebugStages.self, DebugContext.self, DebugContextLoad.self, DebugDumpLLB.self, DebugFuzz.self]
    )
}

struct DebugParse: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse", abstract: "Print the Dockerfile's syntax tree (BuildKit's dump format or JSON).")
    enum Format: String, ExpressibleByArgument { case dump, json }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Output format: dump (BuildKit's AST dump) or json.") var format: Format = .dump
    @Argument(help: "The Dockerfile to parse.") var file: String

    func run() throws {
        let text = readText(file)
        do {
            let ast = try DockerfileParser.parse(text, fileName: file)
            for warning in ast.warnings {
                FileHandle.standardError.write(Data("warning: \(file):\(warning.line): \(warning.message)\n".utf8))
            }
            switch format {
            case .dump: FileHandle.standardOutput.write(Data(ast.dump().utf8))
            case .json: print(ast.jsonDump())
            }
        } catch {
            exitWith(error, source: text)
        }
    }
}

struct DebugExpand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "expand", abstract: "Expand one word with Dockerfile shell rules.")

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("env"), help: ArgumentHelp("Set a variable (K=V); repeatable.", valueName: "K=V")) var env: [String] = []
    @Flag(help: "Split into words, one a line.") var words = false
    @Option(help: "Escape token: \\ or `.") var escape: String = "\\"
    @Argument(help: "The word to expand (put it after --).") var word: String

    func run() throws {
        let lexer = ShellLexer(escapeToken: escape == "`" ? "`" : "\\")
        let environment = ShellEnvironment(keyValues(env))
        do {
            if words {
                for w in try lexer.expandWords(word, environment: environment) { print(w) }
            } else {
                print(try lexer.expandWord(word, environment: environment))
            }
        } catch {
            exitWith(message: error.description)
        }
    }
}
