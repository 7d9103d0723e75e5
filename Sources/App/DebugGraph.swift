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

struct DebugFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fuzz", abstract: "Feed random and mutated input to a frontend component; fail on a hang.")

    @Option(help: "parser, expander or ignore.") var target: String = "parser"
    @Option(help: "Number of inputs.") var count: Int = 1_000_000
    @Option(help: "Random seed (runs are reproducible).") var seed: UInt64 = 1
    @Option(help: "A directory of seed inputs (every regular file below it).") var corpus: String?
    @Option(help: "Fail when one input takes longer than this many milliseconds.") var slowMs: Int = 1000

    func run() throws {
        guard let t = FrontendFuzzer.Target(rawValue: target) else { exitWith(message: "unknown fuzz target \(target)") }
        var seeds: [String] = []
        if let corpus, let walker = FileManager.default.enumerator(atPath: corpus) {
            for case let rel as String in walker {
                if let text = try? String(contentsOfFile: corpus + "/" + rel, encoding: .utf8), text.utf8.count < 20_000 {
                    seeds.append(text)
                }
            }
        }
        let fuzzer = FrontendFuzzer(target: t, seed: seed, corpus: seeds)
        let start = Date()
        let report = fuzzer.run(count: count) { n in
            FileHandle.standardError.write(Data("\(target): \(n) inputs\n".utf8))
        }
        let seconds = Date().timeIntervalSince(start)
        print("\(target): \(report.inputs) inputs (\(report.accepted) accepted, \(report.rejected) rejected) in \(String(format: "%.1f", seconds)) s, seed \(seed), \(seeds.count) corpus files; slowest input \(report.slowest)")
        if report.slowest > .milliseconds(slowMs) {
            exitWith(message: "input took \(report.slowest): \(report.slowestInput.debugDescription)")
        }
    }
}

/// `debug context-load`: loads a context as a build does (walk, .dockerignore, checksums, stat
/// cache under --root) and reports what it hashed. Used by the context benchmarks.
struct DebugContextLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "context-load", abstract: "Load and checksum a build context as a build would.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Files hashed at once.") var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Argument(help: "The build context directory.") var context: String = "."

    func run() async throws {
        let (patterns, ignoreFile) = ContextWalker.ignorePatterns(context: context, dockerfile: nil)
        let start = Date()
        do {
            let loaded = try await BuildContext.load(root: context, patterns: patterns, ignoreFile: ignoreFile,
                                                     statCacheIn: global.stateRoot, jobs: jobs)
            let seconds = Date().timeIntervalSince(start)
            print("\(loaded.entries.count) entries, \(loaded.totalBytes) bytes; hashed \(loaded.filesHashed) files (\(loaded.bytesHashed) bytes) in \(String(format: "%.3f", seconds)) s")
        } catch let error as FrontendError {
            exitWith(error)
        }
    }
}
