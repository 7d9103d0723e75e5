import ArgumentParser
import BuildCore
import Foundation

/// Options every command accepts. `--root` (or `SWBUILD_ROOT`) decides where all state lives.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Directory for all swbuild state (cache, images, history).", valueName: "dir"))
    var root: String?

    @Option(name: [.customShort("H"), .long],
            help: ArgumentHelp("Builds on another machine: ssh://[user@]host[:port] (or SWBUILD_HOST); for attach, history and replay.",
                               valueName: "url"))
    var host: String?

    @Option(name: [.customShort("c"), .long],
            help: ArgumentHelp("The context to use (or SWBUILD_CONTEXT; see `context ls`): where builds run and are found.",
                               valueName: "name"))
    var context: String?

    @Option(name: .customLong("registry-config"),
            help: ArgumentHelp("Registry settings in buildkitd.toml's [registry.\"HOST\"] form (or SWBUILD_REGISTRY_CONFIG).",
                               valueName: "file"))
    var registryConfig: String?

    /// The registry client for this command: the settings file's hosts, docker's credentials.
    func registryClient() -> RegistryClient {
        do {
            return RegistryClient(hosts: try RegistryHosts.load(path: registryConfig))
        } catch {
            exitWith(message: "\(error)")
        }
    }

    /// The state root: `--root`, then `SWBUILD_ROOT`, then a per-user default.
    var stateRoot: StateRoot {
        StateRoot.resolve(flag: root, environment: ProcessInfo.processInfo.environment)
    }

    /// `--host`, else `SWBUILD_HOST`, else the context's ssh host; nil for this machine.
    var hostURL: String? {
        if let host, !host.isEmpty { return host }
        if let env = ProcessInfo.processInfo.environment["SWBUILD_HOST"], !env.isEmpty { return env }
        return selectedContext.host
    }

    /// The context in use, as docker picks one: `--host` (or `SWBUILD_HOST`) alone means no
    /// context; else `--context`, then `SWBUILD_CONTEXT`, then `context use`'s choice, else
    /// `default`. An unknown name ends the command with the names there are.
    var selectedContext: BuildEndpoint {
        let environment = ProcessInfo.processInfo.environment
        if let host, !host.isEmpty { return .local }
        if let env = environment["SWBUILD_HOST"], !env.isEmpty { return .local }
        let endpoints = BuildEndpoints(environment: environment)
        do {
            var name = context.flatMap { $0.isEmpty ? nil : $0 } ?? environment["SWBUILD_CONTEXT"].flatMap { $0.isEmpty ? nil : $0 }
            if name == nil { name = try endpoints.current() }
            return try endpoints.find(name ?? BuildEndpoint.local.name)
        } catch {
            exitWith(message: "\(error)")
        }
    }

    /// Where `attach`, `history` and `replay` find builds.
    func buildHost() -> any BuildHost {
        guard let url = hostURL else { return LocalBuildHost(root: stateRoot) }
        do {
            return try SSHBuildHost(url: url)
        } catch {
            exitWith(message: "\(error)")
        }
    }

    /// Takes the global options written before the subcommand out of `arguments` and hands them
    /// on through their environment variables (`SWBUILD_ROOT`, `SWBUILD_HOST`), which every
    /// subcommand reads; an option given after the subcommand still wins over them.
    static func hoistingLeadingOptions(_ arguments: [String]) -> [String] {
        let variables = ["--root": "SWBUILD_ROOT", "--host": "SWBUILD_HOST", "-H": "SWBUILD_HOST",
                         "--context": "SWBUILD_CONTEXT", "-c": "SWBUILD_CONTEXT",
                         "--registry-config": "SWBUILD_REGISTRY_CONFIG"]
        var rest = arguments[...]
        while let first = rest.first, first.hasPrefix("-") {
            let (name, inline) = first.firstIndex(of: "=").map { (String(first[..<$0]), Optional(String(first[first.index(after: $0)...]))) }
                ?? (first, nil)
            guard let variable = variables[name] else { break }
            rest = rest.dropFirst()
            let value: String
            if let inline {
                value = inline
            } else {
                guard let next = rest.first else { exitWith(message: "\(name) needs a value") }
                value = next
                rest = rest.dropFirst()
            }
            setenv(variable, value, 1)
        }
        return Array(rest)
    }

    /// For commands that only work on this machine.
    func requireLocal(_ command: String) {
        guard let url = hostURL else { return }
        let explicit = (host.map { !$0.isEmpty } ?? false) || !(ProcessInfo.processInfo.environment["SWBUILD_HOST"] ?? "").isEmpty
        if explicit { exitWith(message: "\(command) runs on this machine only; --host \(url) (or SWBUILD_HOST) is not supported here") }
        exitWith(message: "\(command) runs on this machine only; context \"\(selectedContext.name)\" is \(url) "
                 + "(pick another with -c, or `context use default`)")
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
