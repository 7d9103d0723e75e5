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
        let fleet = hosts()
        guard Terminal.wantsDashboard("auto") else {
            printListing(await gather(fleet))
            return
        }
        while true {
            let (entries, owner) = await gather(fleet)
            guard let choice = await DashboardRunner.home(entries: entries, options: .fromEnvironment()) else { return }
            // Each build is acted on where it lives.
            func host(_ id: String) -> any BuildHost { owner[id] ?? fleet[0].host }
            switch choice {
            case .refresh:
                continue
            case .attach(let id):
                await watch(host(id), id)
            case .replay(let id):
                await replay(host(id), id, openCacheGraph: false, speed: 1)
            case .inspect(let id):
                await replay(host(id), id, openCacheGraph: false, speed: .infinity)
            case .compare(let base, let other):
                await compare(host(base), base, other)
            case .build(let path):
                await build(path)
            }
        }
    }

    /// The hosts to list: the one `-H`/`-c` (or their variables) name; else this machine and
    /// every context that reaches swbuild on another machine, side by side (the fleet).
    func hosts() -> [(name: String?, host: any BuildHost)] {
        let environment = ProcessInfo.processInfo.environment
        let chosen = global.host != nil || global.context != nil || !(environment["SWBUILD_HOST"] ?? "").isEmpty
            || !(environment["SWBUILD_CONTEXT"] ?? "").isEmpty
        let remote = chosen ? [] : ((try? BuildEndpoints().all()) ?? []).filter { $0.host != nil }
        guard !remote.isEmpty else { return [(nil, global.buildHost())] }
        var fleet: [(name: String?, host: any BuildHost)] = [(BuildEndpoint.local.name, LocalBuildHost(root: global.stateRoot))]
        for context in remote {
            guard let url = context.host, var host = try? SSHBuildHost(url: url) else { continue }
            host.batch = true
            fleet.append((context.name, host))
        }
        return fleet
    }

    /// Seconds a host gets to answer before it is listed as unreachable.
    static let hostTimeout: Double = 8

    /// Every host asked at once; one that fails or does not answer in time is a row saying so.
    func gather(_ fleet: [(name: String?, host: any BuildHost)]) async -> (HomeEntries, [String: any BuildHost]) {
        typealias Answer = (index: Int, running: [RunningBuild], history: [BuildSummary], error: String?)
        let answers = await withTaskGroup(of: Answer.self) { group -> [Answer] in
            for (index, member) in fleet.enumerated() {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Answer, Never>) in
                        let once = OnceBox()
                        // The host's calls block (ssh): on their own thread, raced against a timer.
                        Thread.detachNewThread {
                            do {
                                let answer = (index, try member.host.running(), try member.host.history(), nil as String?)
                                if once.claim() { done.resume(returning: answer) }
                            } catch {
                                if once.claim() { done.resume(returning: (index, [], [], "\(error)")) }
                            }
                        }
                        DispatchQueue.global().asyncAfter(deadline: .now() + Self.hostTimeout) {
                            if once.claim() {
                                done.resume(returning: (index, [], [], "no answer in \(Int(Self.hostTimeout))s"))
                            }
                        }
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }.sorted { $0.index < $1.index }
        }
        var entries = HomeEntries()
        var owner: [String: any BuildHost] = [:]
        var recent: [HomeEntries.RecentBuild] = []
        for answer in answers {
            let (name, host) = fleet[answer.index]
            if let error = answer.error {
                entries.unreachable.append((name ?? "this machine", "unreachable: " + error))
                continue
            }
            for build in answer.running {
                var row = HomeEntries.RunningBuild(build)
                row.host = name
                entries.running.append(row)
                owner[build.id] = host
            }
            for s in answer.history.prefix(50) {
                recent.append(HomeEntries.RecentBuild(id: s.id, status: s.status,
                                                      started: s.started, duration: s.duration, steps: s.steps, cached: s.cachedSteps,
                                                      name: s.tags.first ?? s.target.map { "--target " + $0 } ?? s.contextPath ?? s.id,
                                                      host: name))
                owner[s.id] = host
            }
        }
        // A remote build is recorded where it ran and, as a copy, here: one row, where it ran.
        let here = BuildEndpoint.local.name
        let remoteIDs = Set(recent.filter { $0.host != here }.map(\.id) + entries.running.filter { $0.host != here }.map(\.id))
        recent.removeAll { $0.host == here && remoteIDs.contains($0.id) }
        entries.running.removeAll { $0.host == here && remoteIDs.contains($0.id) }
        entries.recent = Array(recent.sorted { $0.started > $1.started }.prefix(50))
        let local = global.hostURL == nil && FileManager.default.fileExists(atPath: "Dockerfile")
        entries.buildPath = local ? "." : nil
        return (entries, owner)
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

    func printListing(_ gathered: (HomeEntries, [String: any BuildHost])) {
        let entries = gathered.0
        for host in entries.unreachable { print("\(host.context): \(host.error)") }
        print("RUNNING")
        for b in entries.running { print("  \(b.id)  \(b.done)/\(b.total) steps  \(b.host.map { "[\($0)] " } ?? "")\(b.context)") }
        if entries.running.isEmpty { print("  (none)") }
        print("RECENT")
        for b in entries.recent.prefix(10) {
            print("  \(b.id)  \(b.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(String(format: "%6.1fs", b.duration))  \(b.host.map { "[\($0)] " } ?? "")\(b.name)")
        }
        if entries.recent.isEmpty { print("  (none)") }
        print("\nswbuild-tui attach ID | replay ID | build PATH   (swbuild-tui --help for more)")
    }
}

/// Resumes a continuation once, whichever of two racers gets there first.
final class OnceBox: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if claimed { return false }
        claimed = true
        return true
    }
}
