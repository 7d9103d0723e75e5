import ArgumentParser
import BuildCore
import Foundation
import TUI

/// `swbuild-tui` alone: the home screen. Running builds (attach), recent builds (replay, inspect,
/// compare two) and "build ./Dockerfile" when there is one; each action returns here.
/// Without a terminal it prints what the screen would list.
struct HomeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "home", abstract: "The home screen: running and recent builds (what swbuild-tui alone opens).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let host = global.buildHost()
        guard Terminal.wantsDashboard("auto") else {
            printListing(host)
            return
        }
        while true {
            let entries = gather(host)
            guard let choice = await DashboardRunner.home(entries: entries, options: .fromEnvironment()) else { return }
            switch choice {
            case .refresh:
                continue
            case .attach(let id):
                await watch(host, id)
            case .replay(let id):
                await replay(host, id, openCacheGraph: false, speed: 1)
            case .inspect(let id):
                await replay(host, id, openCacheGraph: false, speed: .infinity)
            case .compare(let base, let other):
                await compare(host, base, other)
            case .build(let path):
                await build(path)
            }
        }
    }

    func gather(_ host: any BuildHost) -> HomeEntries {
        let running = ((try? host.running()) ?? []).map(HomeEntries.RunningBuild.init)
        let recent = ((try? host.history()) ?? []).prefix(50).map { s in
            HomeEntries.RecentBuild(id: s.id, status: s.status,
                                    started: s.started, duration: s.duration, steps: s.steps, cached: s.cachedSteps,
                                    name: s.tags.first ?? s.target.map { "--target " + $0 } ?? s.contextPath ?? s.id)
        }
        let local = global.hostURL == nil && FileManager.default.fileExists(atPath: "Dockerfile")
        return HomeEntries(running: running, recent: Array(recent), buildPath: local ? "." : nil)
    }

    func watch(_ host: any BuildHost, _ id: String) async {
        guard let attached = try? host.attach(id) else { return }
        await AttachCommand.view(attached, events: attached.events, global: global)
    }

    func replay(_ host: any BuildHost, _ id: String, openCacheGraph: Bool, speed: Double) async {
        guard let (fullID, data) = try? host.record(id), (try? EventFile.format(of: data, name: fullID)) != nil else { return }
        var options = DashboardRunner.Options.fromEnvironment()
        options.openCacheGraph = openCacheGraph
        if global.hostURL == nil, let dockerfile = try? BuildHistory(global.stateRoot).summary(id: fullID).dockerfile {
            (options.stepHistory, options.trend) = BuildHistoryDigest.load(root: global.stateRoot, dockerfile: dockerfile)
        }
        // Shown while it loads, as `replay` does.
        let (feed, _) = ReplayFeed.decoding(data, name: fullID)
        _ = await DashboardRunner.replay(feed: feed, options: options, speed: speed, title: fullID)
    }

    /// The two builds side by side; a record that cannot be read leaves the home screen as it was.
    func compare(_ host: any BuildHost, _ base: String, _ other: String) async {
        guard let diff = try? HistoryDiff.compare(base, other, on: host) else { return }
        await DashboardRunner.comparison(diff, options: .fromEnvironment())
    }

    func build(_ path: String) async {
        var arguments = [path]
        if let root = global.root { arguments = ["--root", root] + arguments }
        guard let command = try? BuildCommand.parse(arguments) else { return }
        do {
            try await command.run()
        } catch {
            // The build's own summary and error are already on the terminal.
        }
    }

    func printListing(_ host: any BuildHost) {
        let entries = gather(host)
        print("RUNNING")
        for b in entries.running { print("  \(b.id)  \(b.done)/\(b.total) steps  \(b.context)") }
        if entries.running.isEmpty { print("  (none)") }
        print("RECENT")
        for b in entries.recent.prefix(10) {
            print("  \(b.id)  \(b.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(String(format: "%6.1fs", b.duration))  \(b.name)")
        }
        if entries.recent.isEmpty { print("  (none)") }
        print("\nswbuild-tui attach ID | replay ID | build PATH   (swbuild-tui --help for more)")
    }
}
