import ArgumentParser
import BuildCore
import Foundation

/// `swbuild-tui history ...`: past builds, from their records under `--root`.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List, inspect, compare and remove past builds.",
        subcommands: [HistoryList.self, HistoryInspect.self, HistoryDiffCommand.self, HistoryLogs.self, HistoryExport.self,
                      HistoryRemove.self])
}

enum ListFormat: String, ExpressibleByArgument { case table, json }

struct HistoryList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List builds, newest first.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "table or json.") var format: ListFormat = .table

    func run() throws {
        do {
            let builds = try global.buildHost().history()
            switch format {
            case .json:
                print(try BuildSummary.json(builds))
            case .table:
                print("ID                    STARTED               STATUS       DURATION  STEPS  CACHED  TARGET")
                let f = DateFormatter()
                f.dateFormat = "yyyy-MM-dd HH:mm:ss"
                for b in builds {
                    let cols = [b.id.padding(toLength: 22, withPad: " ", startingAt: 0),
                                f.string(from: b.started).padding(toLength: 22, withPad: " ", startingAt: 0),
                                b.status.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0),
                                String(format: "%.1fs", b.duration).padding(toLength: 10, withPad: " ", startingAt: 0),
                                String(b.steps).padding(toLength: 7, withPad: " ", startingAt: 0),
                                String(b.cachedSteps).padding(toLength: 8, withPad: " ", startingAt: 0),
                                b.target ?? "(last stage)"]
                    print(cols.joined())
                }
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct HistoryInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a build's steps, cache use and miss reasons.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "table or json.") var format: ListFormat = .table
    @Flag(help: "Show the image's layers, the step that made each, and its wasted space.") var layers = false
    @Argument(help: "Build id (or a unique prefix).") var id: String

    func run() throws {
        do {
            let (fullID, data) = try global.buildHost().record(id)
            let events = BuildRecord.decode(data).events
            if layers { return try printLayers(events, id: fullID) }
            let inspection = BuildHistory.Inspection(id: fullID, events: events)
            switch format {
            case .json:
                print(try inspection.json())
            case .table:
                print("build \(inspection.id): \(inspection.status.rawValue) in \(String(format: "%.1f", inspection.duration))s")
                if let e = inspection.error { print("error: \(e)") }
                for s in inspection.steps {
                    let state = s.cached ? "CACHED" : s.status.rawValue.uppercased()
                    var line = "  \(state.padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(format: "%6.2fs", s.duration ?? 0))  \(s.name)"
                    if let reason = s.missReason { line += "\n             miss: \(reason)" }
                    print(line)
                }
            }
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

extension HistoryInspect {
    /// The build's image (or, without one, the deepest filesystem a step made) as `layers` shows it.
    func printLayers(_ events: [BuildEvent], id: String) throws {
        global.requireLocal("history inspect --layers")
        let store = openImageStore(global)
        var chain: [String] = []
        var image: String?
        for event in events {
            switch event.kind {
            case .vertexCompleted(let c): if let l = c.layers, l.count >= chain.count { chain = l }
            case .buildFinished(let f): image = f.imageDigest
            default: break
            }
        }
        let report: LayerReport
        if let image, (try? store.resolve(image)) != nil {
            report = try LayerReport.load(image: image, store: store)
        } else if !chain.isEmpty {
            report = try LayerReport.load(layers: chain, store: store.layerStore)
        } else {
            exitWith(message: "build \(id) recorded no layers (it made none, or it predates layer records)")
        }
        switch format {
        case .json: print(LayerText.json(report, image: image ?? id))
        case .table: print(LayerText.table(report, image: "build \(id)"), terminator: "")
        }
    }
}

struct HistoryLogs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a build's log in BuildKit's plain format.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Build id (or a unique prefix).") var id: String

    func run() throws {
        do {
            let events = BuildRecord.decode(try global.buildHost().record(id).data).events
            FileHandle.standardOutput.write(Data(PlainProgressPrinter.render(events).utf8))
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

struct HistoryRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove build records.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Build ids.") var ids: [String]

    func run() throws {
        global.requireLocal("history rm")
        for id in ids {
            do {
                try BuildHistory(global.stateRoot).remove(id: id)
                print("removed \(id)")
            } catch {
                exitWith(message: "\(id): \(error)")
            }
        }
    }
}

/// `swbuild-tui du`: disk usage by kind.
struct DiskUsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "du", abstract: "Show disk usage of layers, blobs, cache mounts and build records.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        do {
            global.requireLocal("du")
            print(try await StorageReport.measure(root: global.stateRoot).text)
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

/// `swbuild-tui prune`: reclaim space.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove build cache and unreferenced layers.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Remove all build cache, cache mounts included.") var all = false
    @Option(name: .customLong("keep-storage"), help: "Keep at most this much cache (e.g. 10GB).") var keepStorage: String?
    @Option(help: "until=DURATION: remove cache unused for longer (e.g. until=24h).") var filter: String?

    func run() async throws {
        global.requireLocal("prune")
        let root = global.stateRoot
        var keep: Int64?
        if let keepStorage {
            guard let v = ByteCount.parse(keepStorage) else { exitWith(message: "invalid --keep-storage \(keepStorage)") }
            keep = v
        }
        var until: TimeInterval?
        if let filter {
            guard filter.hasPrefix("until="), let d = ByteDuration.parse(String(filter.dropFirst(6))) else {
                exitWith(message: "invalid --filter \(filter): use until=DURATION (e.g. until=24h)")
            }
            until = d
        }
        do {
            let r = try await Pruner(root: root, all: all, keepStorage: keep, until: until).run()
            print("removed \(r.records) cache records, \(r.layers) layers, \(r.blobs) blobs, \(r.cacheMounts) cache mounts")
            print("reclaimed \(ByteCount.format(r.reclaimed))")
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

/// `24h`, `90m`, `30s`, `1h30m` (Go duration syntax).
enum ByteDuration {
    static func parse(_ text: String) -> TimeInterval? {
        var total: TimeInterval = 0
        var number = ""
        for c in text {
            if c.isNumber || c == "." { number.append(c); continue }
            guard let v = Double(number) else { return nil }
            switch c {
            case "h": total += v * 3600
            case "m": total += v * 60
            case "s": total += v
            case "d": total += v * 86400
            default: return nil
            }
            number = ""
        }
        return number.isEmpty ? total : nil
    }
}
