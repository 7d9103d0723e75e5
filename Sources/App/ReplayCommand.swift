import ArgumentParser
import BuildCore
import Foundation
import TUI

/// `swbuild-tui replay ID|FILE`: plays a recorded build back with its original timing (scaled by
/// `--speed`), from this machine's history, another host's (`--host`), or a file: a swbuild
/// record or BuildKit `--progress=rawjson` output, told apart by content.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Play a recorded build back: a history id, a record file or BuildKit rawjson.")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Playback speed: a factor such as 0.5, 2, 10, or max.", valueName: "x|max"))
    var speed: String = "1"
    @Option(help: "Progress output: auto, tty, plain or rawjson.") var progress: AttachCommand.Progress = .auto
    @Argument(help: "A build id (or unique prefix) from the history, or a file.") var source: String

    func run() async throws {
        let factor = parseSpeed()
        if Terminal.wantsDashboard(progress.rawValue) {
            // Shown while it loads: the first pieces are on screen before the rest is decoded.
            let (name, data) = bytes()
            do {
                // Bad input is refused before the screen opens.
                _ = try EventFile.format(of: data, name: name)
            } catch {
                exitWith(message: "\(error)")
            }
            let (feed, decoding) = ReplayFeed.decoding(data, name: name)
            var options = DashboardRunner.Options.fromEnvironment()
            // A build of this machine's history has its layers here (a file or another host's may not).
            if global.hostURL == nil { options.layerRoot = global.stateRoot.path }
            let final = await DashboardRunner.replay(feed: feed, options: options, speed: factor,
                                                     title: (name as NSString).lastPathComponent)
            FileHandle.standardError.write(Data((final.summary() + "\n").utf8))
            if let failure = await decoding.value { exitWith(message: failure) }
            return
        }
        let (name, loaded) = load()
        for warning in loaded.warnings {
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
        }
        let mode: BuildCommand.Progress = progress == .rawjson ? .rawjson : .plain
        if factor.isInfinite {
            ProgressOutput(mode: mode).print(loaded.events)
        } else {
            await ProgressOutput(mode: mode).print(Playback.timed(loaded.events, speed: factor))
        }
    }

    func parseSpeed() -> Double {
        if speed == "max" { return .infinity }
        guard let value = Double(speed), value > 0, value.isFinite else {
            exitWith(message: "--speed \(speed): expected a positive number or max")
        }
        return value
    }

    /// The bytes to replay (a file mapped, or a record from the build host) and their name.
    func bytes() -> (name: String, data: Data) {
        var isDirectory: ObjCBool = false
        do {
            if global.hostURL == nil, FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) {
                guard !isDirectory.boolValue else { exitWith(message: "\(source) is a directory, not a record or rawjson file") }
                return (source, try Data(contentsOf: URL(fileURLWithPath: source), options: .alwaysMapped))
            }
            let (id, data) = try global.buildHost().record(source)
            return (id, data)
        } catch {
            exitWith(message: "\(error)")
        }
    }

    /// The events to replay, from `bytes()`.
    func load() -> (name: String, loaded: EventFile.Loaded) {
        let (name, data) = bytes()
        do {
            return (name, try EventFile.load(data: data, name: name))
        } catch {
            exitWith(message: "\(error)")
        }
    }
}

/// Events released at their original pace, scaled by `speed` (`.infinity`: all at once).
enum Playback {
    static func timed(_ events: [BuildEvent], speed: Double) -> AsyncStream<BuildEvent> {
        AsyncStream { continuation in
            let task = Task {
                let origin = events.first?.time ?? Date()
                let wallStart = Date()
                for event in events {
                    if speed.isFinite {
                        let due = event.time.timeIntervalSince(origin) / speed - Date().timeIntervalSince(wallStart)
                        if due > 0.001 { try? await Task.sleep(for: .seconds(due)) }
                        if Task.isCancelled { break }
                    }
                    continuation.yield(event)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension ReplayFeed {
    /// A feed filled by decoding `data` (a record or rawjson, its format already checked) in
    /// pieces off the caller's thread, and the task doing it: its value is why decoding failed.
    static func decoding(_ data: Data, name: String) -> (feed: ReplayFeed, decoding: Task<String?, Never>) {
        let feed = ReplayFeed()
        let decoding = Task.detached {
            do {
                let warnings = try EventFile.load(data: data, name: name) { feed.append($0) }
                feed.finish(error: warnings.first)
                return nil as String?
            } catch {
                feed.finish(error: "\(error)")
                return "\(error)"
            }
        }
        return (feed, decoding)
    }
}
