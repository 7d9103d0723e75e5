import ArgumentParser
import BuildCore
import Foundation

/// Options every command accepts. `--root` (or `SWBUILD_ROOT`) decides where all state lives.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Directory for all swbuild state (cache, images, history).", valueName: "dir"))
    var root: String?

    /// The state root: `--root`, then `SWBUILD_ROOT`, then a per-user default.
    var stateRoot: StateRoot {
        StateRoot.resolve(flag: root, environment: ProcessInfo.processInfo.environment)
    }
}

/// Prints a frontend error with its source excerpt and exits 1, like `docker buildx` does.
func exitWith(_ error: FrontendError, source: String? = nil) -> Never {
    FileHandle.standardError.write(Data(("error: " + error.rendered(source: source) + "\n").utf8))
    Foundation.exit(1)
}

func exitWith(message: String) -> Never {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    Foundation.exit(1)
}

/// Parses repeated `K=V` options (`--build-arg`, `--env`) in order; `K` alone takes the value from
/// the environment, as docker does.
func keyValues(_ list: [String]) -> [(String, String)] {
    list.map { item in
        if let eq = item.firstIndex(of: "=") {
            return (String(item[..<eq]), String(item[item.index(after: eq)...]))
        }
        return (item, ProcessInfo.processInfo.environment[item] ?? "")
    }
}

func readText(_ path: String) -> String {
    do {
        return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        exitWith(message: "cannot read \(path): \(error.localizedDescription)")
    }
}
