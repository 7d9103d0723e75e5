import ArgumentParser
import BuildCore
import Foundation

struct DebugContext: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "context", abstract: "List the files the build would see, after .dockerignore.")

    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Path to the Dockerfile (its <Dockerfile>.dockerignore wins).", valueName: "file"))
    var file: String?
    @Argument(help: "The build context directory.") var context: String = "."

    func run() throws {
        let dockerfile = file ?? (context as NSString).appendingPathComponent("Dockerfile")
        let (patterns, ignoreFile) = ContextWalker.ignorePatterns(context: context, dockerfile: dockerfile)
        do {
            let entries = try ContextWalker(root: context, patterns: patterns, ignoreFile: ignoreFile).walk()
            var out = ""
            var count = 0
            var bytes: Int64 = 0
            for e in entries where e.kind != .directory {
                out += e.path
                out += "\n"
                count += 1
                bytes += e.size
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            FileHandle.standardError.write(Data("\(count) files, \(bytes) bytes\n".utf8))
        } catch {
            exitWith(error, source: ignoreFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) })
        }
    }
}

struct DebugDumpLLB: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dump-llb", abstract: "Print the build graph: one JSON object per vertex per line.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dockerfile: DockerfileOptions

    func run() throws {
        let plan = dockerfile.loadPlan()
        let (patterns, _) = ContextWalker.ignorePatterns(context: dockerfile.context, dockerfile: dockerfile.dockerfilePath)
        do {
            let graph = try GraphBuilder(contextExcludes: patterns).build(plan)
            var out = ""
            for v in graph.vertices {
                out += v.json.rendered
                out += "\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        } catch {
            exitWith(error, source: plan.dockerfile.source)
        }
    }
}
