import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui context ...`: named places builds run, as `docker context` names engines.
struct ContextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context", abstract: "Manage contexts: this machine, swbuild over ssh, Docker engines.",
        subcommands: [ContextCreate.self, ContextList.self, ContextUse.self, ContextRemove.self, ContextInspect.self])
}

private func endpoints() -> BuildEndpoints { BuildEndpoints() }

struct ContextCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a context.")
    @Option(help: "A description.") var description: String?
    @Option(help: ArgumentHelp("swbuild on another machine.", valueName: "ssh://[user@]host[:port]")) var host: String?
    @Option(help: ArgumentHelp("A Docker engine that builds.", valueName: "unix:///path")) var docker: String?
    @Argument(help: "The context's name.") var name: String

    func run() throws {
        do {
            try endpoints().create(BuildEndpoint(name: name, description: description, host: host, docker: docker))
            print(name)
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct ContextList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List contexts; * marks the current one.")
    @Option(help: "table or json.") var format: ListFormat = .table

    func run() throws {
        do {
            let store = endpoints()
            let all = try store.all()
            let current = try store.current()
            if format == .json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(all), as: UTF8.self))
                return
            }
            print(padColumn("NAME", 20) + " " + padColumn("DESCRIPTION", 30) + " ENDPOINT")
            for c in all {
                let name = c.name + (c.name == current ? " *" : "")
                print(padColumn(name, 20) + " " + padColumn(c.description ?? "", 30) + " " + c.endpoint)
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct ContextUse: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "use", abstract: "Make a context the current one.")
    @Argument(help: "The context's name (default: this machine).") var name: String

    func run() throws {
        do {
            try endpoints().use(name)
            print(name)
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct ContextRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove contexts.")
    @Argument(help: "The contexts' names.") var names: [String]

    func run() throws {
        do {
            for name in names {
                try endpoints().remove(name)
                print(name)
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct ContextInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a context as JSON.")
    @Argument(help: "The context's name (default: the current one).") var name: String?

    func run() throws {
        do {
            let store = endpoints()
            let context = try store.find(name ?? store.current())
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(context), as: UTF8.self))
        } catch {
            exitWith(message: "\(error)")
        }
    }
}
