import ArgumentParser
import BuildCore
import Foundation
import TUI

/// `swbuild-tui attach [ID]`: watch a running build from its start, live, from any terminal
/// (or any machine, with `--host ssh://…`). Leaving never affects the build; the exit status is
/// the build's.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach", abstract: "Watch a running build from its start (a finished one is replayed).")

    enum Progress: String, ExpressibleByArgument, CaseIterable { case auto, tty, plain, rawjson }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Progress output: auto, tty, plain or rawjson.") var progress: Progress = .auto
    @Argument(help: "Build id or unique prefix (default: the only running build).") var id: String?

    func run() async throws {
        let host = global.buildHost()
        let useDashboard = Terminal.wantsDashboard(progress.rawValue)
        var reference = id
        if reference == nil {
            let running = (try? host.running()) ?? []
            if running.count > 1 {
                if useDashboard, let picked = await pick(host, running) {
                    reference = picked
                } else {
                    exitWith(message: "several builds are running; name one:\n" + running.map(Self.describe).joined(separator: "\n"))
                }
            }
        }
        let attached: AttachedBuild
        do {
            attached = try host.attach(reference)
        } catch {
            exitWith(message: "\(error)")
        }
        let watch = FinishWatch()
        let events = watch.tap(attached.events)
        if useDashboard {
            await Self.view(attached, events: events, global: global)
            if attached.live, watch.finish == nil {
                // The user left while the build runs on: that is not a failure.
                FileHandle.standardError.write(Data("left build \(attached.id); it is still running\n".utf8))
                return
            }
        } else {
            let mode: BuildCommand.Progress = progress == .rawjson ? .rawjson : .plain
            await ProgressOutput(mode: mode).print(events)
        }
        exitWithBuildStatus(watch.finish, live: attached.live, id: attached.id)
    }

    /// Shows an attached build as a viewer: a running one in the dashboard (`q` leaves it
    /// running), a finished one in the replay player at its end. Lines a step no longer keeps
    /// are read back from the record when it is on this machine.
    static func view(_ attached: AttachedBuild, events: AsyncStream<BuildEvent>, global: GlobalOptions) async {
        var options = DashboardRunner.Options.fromEnvironment()
        options.stayOpen = true
        options.viewer = true
        if global.hostURL == nil {
            options.logRecord = try? BuildHistory(global.stateRoot).recordURL(forNewID: attached.id)
            options.layerRoot = global.stateRoot.path
        }
        if attached.live {
            _ = await DashboardRunner.run(events: events, options: options) {}
        } else {
            // A finished build: its record, in the replay player (at its end; g and space replay it).
            let (feed, loading) = ReplayFeed.collecting(events)
            _ = await DashboardRunner.replay(feed: feed, options: options, speed: .infinity, title: attached.id)
            // The record is finite: its end (and so the build's status) comes even if q came first.
            await loading.value
        }
    }

    /// Lets the user choose among running builds on the home screen (`r` lists them again); nil
    /// when they quit.
    func pick(_ host: any BuildHost, _ running: [RunningBuild]) async -> String? {
        var running = running
        while true {
            var entries = HomeEntries()
            entries.running = running.map(HomeEntries.RunningBuild.init)
            switch await DashboardRunner.home(entries: entries, options: .fromEnvironment()) {
            case .attach(let id)?: return id
            case .refresh?: running = (try? host.running()) ?? []
            default: return nil
            }
        }
    }

    static func describe(_ b: RunningBuild) -> String {
        "  \(b.id)  \(b.completed)/\(b.steps) steps  \(b.contextPath ?? "")"
    }
}

/// Exits with a watched build's status: 0 succeeded, 1 failed, 130 canceled; a stream that ended
/// without the build's end is an error (the connection dropped, or the record is of a killed build).
func exitWithBuildStatus(_ finish: BuildFinish?, live: Bool, id: String) -> Never {
    switch finish?.status {
    case .succeeded?:
        Foundation.exit(0)
    case .failed?:
        FileHandle.standardError.write(Data("error: \(finish?.error ?? "build failed")\n".utf8))
        Foundation.exit(1)
    case .canceled?:
        FileHandle.standardError.write(Data("build canceled\n".utf8))
        Foundation.exit(130)
    case nil:
        exitWith(message: live ? "lost the connection to build \(id) before it finished"
                               : "build \(id) never finished (its builder was killed)")
    }
}

/// Remembers the `buildFinished` event of a stream it passes through.
final class FinishWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var value: BuildFinish?

    var finish: BuildFinish? { lock.withLock { value } }

    func tap(_ events: AsyncStream<BuildEvent>) -> AsyncStream<BuildEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: BuildEvent.self, bufferingPolicy: .unbounded)
        let pump = Task {
            for await event in events {
                if case .buildFinished(let f) = event.kind { lock.withLock { value = f } }
                continuation.yield(event)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in pump.cancel() }
        return stream
    }
}

/// Whether to draw the dashboard: asked for, or `auto` on a terminal, like buildx.
enum Terminal {
    static func wantsDashboard(_ progress: String) -> Bool {
        progress == "tty" || (progress == "auto" && isatty(STDERR_FILENO) != 0 && isatty(STDOUT_FILENO) != 0
                              && ProcessInfo.processInfo.environment["TERM"] != "dumb")
    }
}

/// `swbuild-tui bridge`: the remote end of `--host ssh://…` (run by ssh, not by people).
struct BridgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bridge", abstract: "Serve one request from stdin for a remote swbuild-tui (used over ssh).",
        shouldDisplay: false)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "build: serve a remote build (the client's ssh asks for it).") var mode: String?

    func run() throws {
        Foundation.exit(HostBridge.serve(host: LocalBuildHost(root: global.stateRoot), mode: mode))
    }
}

extension HomeEntries.RunningBuild {
    init(_ build: BuildCore.RunningBuild) {
        self.init(id: build.id, context: build.contextPath ?? "", started: build.started, done: build.completed, total: build.steps)
    }
}

extension ReplayFeed {
    /// A feed filled from `events` as they arrive (in batches), finished at their end, and the task filling it (await it to know every event passed).
    static func collecting(_ events: AsyncStream<BuildEvent>) -> (feed: ReplayFeed, loading: Task<Void, Never>) {
        let feed = ReplayFeed()
        let loading = Task {
            var batch: [BuildEvent] = []
            for await event in events {
                batch.append(event)
                if batch.count >= 4096 {
                    feed.append(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            feed.append(batch)
            feed.finish()
        }
        return (feed, loading)
    }
}
