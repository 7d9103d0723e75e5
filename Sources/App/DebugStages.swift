import ArgumentParser
import BuildCore
import Foundation

/// Options shared by commands that read a Dockerfile from a build context.
struct DockerfileOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Path to the Dockerfile (default: CONTEXT/Dockerfile).", valueName: "file"))
    var file: String?
    @Option(name: .customLong("build-arg"), help: ArgumentHelp("Set a build-time variable; repeatable.", valueName: "K=V"))
    var buildArgs: [String] = []
    @Option(help: "Set the target build stage.") var target: String?
    @Argument(help: "The build context directory.") var context: String = "."

    var dockerfilePath: String {
        file ?? (context as NSString).appendingPathComponent("Dockerfile")
    }

    var frontendOptions: FrontendOptions {
        var args: [String: String] = [:]
        for (k, v) in keyValues(buildArgs) { args[k] = v }
        return FrontendOptions(buildArgs: args, target: target)
    }

    /// Parses and resolves the Dockerfile, or prints the located error and exits 1.
    func loadPlan() -> BuildPlan {
        let path = dockerfilePath
        let text = readText(path)
        do {
            let dockerfile = try Dockerfile.parse(text, fileName: path)
            let plan = try StageResolver(options: frontendOptions).resolve(dockerfile)
            for w in plan.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
            return plan
        } catch {
            exitWith(error, source: text)
        }
    }
}

struct DebugStages: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stages", abstract: "List the stages, their resolved bases and what each depends on.")
    enum Format: String, ExpressibleByArgument { case json, text }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dockerfile: DockerfileOptions
    @Option(help: "Output format: json or text.") var format: Format = .text

    func run() throws {
        let plan = dockerfile.loadPlan()
        switch format {
        case .json:
            print(StageListing(plan: plan).json())
        case .text:
            print(StageListing(plan: plan).text())
        }
    }
}
