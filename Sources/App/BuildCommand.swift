import ArgumentParser
import BuildCore
import Foundation
import TUI

/// `swbuild-tui build`: the flags of `docker buildx build`, wired to a `Build`.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build an image from a Dockerfile.")

    enum Progress: String, ExpressibleByArgument, CaseIterable { case auto, tty, plain, rawjson, quiet }

    @OptionGroup var global: GlobalOptions
    @Option(name: .shortAndLong, help: ArgumentHelp("Path to the Dockerfile (default: CONTEXT/Dockerfile).", valueName: "file"))
    var file: String?
    @Option(name: [.customShort("t"), .long], help: ArgumentHelp("Name the image in the local store; repeatable.", valueName: "name"))
    var tag: [String] = []
    @Option(help: "Set the target build stage.") var target: String?
    @Option(name: .customLong("build-arg"), help: ArgumentHelp("Set a build-time variable; repeatable.", valueName: "K=V"))
    var buildArgs: [String] = []
    @Flag(name: .customLong("no-cache"), help: "Do not use the cache.") var noCache = false
    @Option(name: .customLong("no-cache-filter"), help: ArgumentHelp("Do not use the cache for this stage; repeatable.", valueName: "stage"))
    var noCacheFilter: [String] = []
    @Option(help: "Run at most this many steps at once (default: the builder's CPU count).") var jobs: Int?
    @Option(help: "Progress output: auto, tty, plain, rawjson or quiet.") var progress: Progress = .auto
    @Option(name: [.customShort("o"), .long],
            help: ArgumentHelp("Output: type=oci|docker|local|tar,dest=PATH or type=image|registry,name=REF[,push=true]; repeatable.",
                               valueName: "spec"))
    var output: [String] = []
    @Option(help: ArgumentHelp("Secret to expose to RUN --mount=type=secret: id=ID,src=PATH or id=ID,env=VAR.", valueName: "spec"))
    var secret: [String] = []
    @Option(help: ArgumentHelp("SSH agent socket to forward: default or ID=SOCKET.", valueName: "spec"))
    var ssh: [String] = []
    @Option(name: .customLong("oci-runtime"), help: "OCI runtime for RUN steps: crun or runc (default: crun when installed, else runc).") var ociRuntime: String?
    @Option(help: ArgumentHelp("Allow an entitlement: security.insecure or network.host; repeatable.", valueName: "entitlement"))
    var allow: [String] = []
    @Option(name: .customLong("build-context"),
            help: ArgumentHelp("Extra named context: NAME=DIR, NAME=docker-image://REF or NAME=oci-layout://PATH[:TAG]; repeatable.",
                               valueName: "name=value"))
    var buildContexts: [String] = []
    @Option(name: .customLong("cache-to"),
            help: ArgumentHelp("Export the build cache: type=registry,ref=REF[,mode=min|max] or type=local,dest=DIR; repeatable.",
                               valueName: "spec"))
    var cacheTo: [String] = []
    @Option(name: .customLong("cache-from"),
            help: ArgumentHelp("Import a build cache: type=registry,ref=REF or type=local,src=DIR; repeatable.", valueName: "spec"))
    var cacheFrom: [String] = []
    @Flag(help: "Ask the registry for every base image, even one in the local store.") var pull = false
    @Flag(help: "Push the image to its registry (shorthand for --output type=registry).") var push = false
    @Option(help: ArgumentHelp("The target platform: base images are resolved for it (default: this machine's).",
                               valueName: "os/arch[/variant]"))
    var platform: String?
    @Option(help: ArgumentHelp("Set method for evaluating build: build, or check (BuildKit's build checks, nothing is built).",
                               valueName: "method"))
    var call: String = "build"
    @Flag(help: "Shorthand for \"--call=check\".") var check = false
    @Option(help: ArgumentHelp("Who builds: local (this process's engine) or docker (a Docker engine's BuildKit, through its API).",
                               valueName: "local|docker"))
    var builder: String?
    @Option(name: .customLong("docker-host"),
            help: ArgumentHelp("With --builder docker: the engine's socket (default: DOCKER_HOST, else unix:///var/run/docker.sock).",
                               valueName: "unix:///path"))
    var dockerHost: String?
    @Option(help: ArgumentHelp("Set a label on the image; repeatable.", valueName: "KEY=VALUE")) var label: [String] = []
    @Option(help: ArgumentHelp("With --builder docker: the RUN steps' network (default, none or host).", valueName: "mode"))
    var network: String?
    @Flag(name: .customLong("exit-on-finish"), help: "Close the dashboard when the build ends, even on failure.") var exitOnFinish = false
    @Flag(help: "With a remote host: start the build there and leave it running (attach finds it).") var detach = false
    @Argument(help: "The build context directory.") var context: String

    func run() async throws {
        let remote = global.hostURL
        let method = check ? "check" : call.split(separator: ",").first.map(String.init) ?? call
        guard method == "build" || method == "check" || method == "lint" else {
            exitWith(message: "--call \(call): unknown method (build or check)")
        }
        if method != "build" { try runCheck() }
        MountNamespace.enterPrivate()
        let root = global.stateRoot
        var args: [String: String] = [:]
        for (k, v) in keyValues(buildArgs) { args[k] = v }
        var outputs: [OutputSpec] = []
        do {
            for o in output { outputs.append(try OutputSpec.parse(o)) }
        } catch {
            exitWith(error)
        }
        if push {
            if let i = outputs.firstIndex(where: { $0.kind == .image }) {
                outputs[i].push = true
            } else {
                outputs.append(OutputSpec(kind: .image, push: true))
            }
        }
        if outputs.contains(where: \.push) && tag.isEmpty && outputs.allSatisfy({ !$0.push || $0.names.isEmpty }) {
            exitWith(message: "--push needs an image name: -t NAME or -o type=image,name=NAME,push=true")
        }
        let compressions = Set(outputs.compactMap(\.compression))
        if compressions.count > 1 { exitWith(message: "the outputs ask for different layer compressions; use one") }
        let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }
        var request = BuildRequest(contextPath: absolute(context), dockerfilePath: file.map(absolute), target: target,
                                   buildArgs: args, tags: tag, noCache: noCache, noCacheStages: Set(noCacheFilter),
                                   jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount, outputs: outputs, secrets: try secrets(), sshAgents: sshAgents(),
                                   runtime: ociRuntime ?? RuntimeLocator.preferred, sourceDateEpoch: epoch,
                                   compression: compressions.first?.rawValue ?? LayerCompression.gzip.rawValue)
        request.allow = Set(allow)
        request.pull = pull
        request.jobsGiven = jobs != nil
        request.runtimeGiven = ociRuntime != nil
        for (k, v) in keyValues(label) { request.labels[k] = v }
        // Unless --builder says otherwise, a context with a Docker engine builds there.
        let context = global.selectedContext
        switch builder ?? (context.docker != nil ? "docker" : "local") {
        case "local":
            if network != nil { exitWith(message: "--network is for --builder docker; in a Dockerfile, use RUN --network") }
            request.remoteHost = remote
        case "docker":
            if let remote { exitWith(message: "--builder docker builds on a Docker engine; it cannot be combined with --host \(remote)") }
            request.engine = dockerHost ?? context.docker ?? DockerEngine.defaultHost
            request.network = network
        default:
            exitWith(message: "--builder \(builder ?? ""): unknown builder (local or docker)")
        }
        do {
            request.cacheTo = try cacheTo.map { try CacheSpec.parse($0, exporting: true) }
            request.cacheFrom = try cacheFrom.map { try CacheSpec.parse($0, exporting: false) }
        } catch {
            exitWith(message: "\(error)")
        }
        if let platform {
            request.platform = parsePlatform(platform)
            request.platformGiven = true
        }
        for item in buildContexts {
            guard let eq = item.firstIndex(of: "=") else { exitWith(message: "--build-context \(item): expected NAME=VALUE") }
            var value = String(item[item.index(after: eq)...])
            if value.hasPrefix("oci-layout://") {
                value = "oci-layout://" + absolute(String(value.dropFirst("oci-layout://".count)))
            } else if !value.contains("://") && !value.hasPrefix("git@") && !value.contains(":") {
                value = absolute(value)
            }
            request.buildContexts[String(item[..<eq])] = value
        }
        if detach {
            guard request.remoteHost != nil else { exitWith(message: "--detach needs a remote host (-H ssh://… or an ssh context)") }
            request.detach = true
        }
        let build = Build(request: request, root: root)
        let bus = EventBus()
        if detach {
            let events = await bus.subscribe()
            let task = Task { await build.runDetached(bus: bus) }
            let signals = SignalTrap { task.cancel() }
            await ProgressOutput(mode: progress == .rawjson || progress == .quiet ? progress : .plain).print(events)
            let outcome = await task.value
            signals.release()
            guard outcome.status == .succeeded else {
                FileHandle.standardError.write(Data("error: \(outcome.errorText ?? "build failed")\n".utf8))
                throw ExitCode(outcome.status == .canceled ? 130 : 1)
            }
            FileHandle.standardError.write(Data("build \(build.buildID) \(outcome.outputs.first ?? "")\n".utf8))
            print(build.buildID)
            return
        }
        let useDashboard = Terminal.wantsDashboard(progress.rawValue)
        // Subscribed before the build starts, so the progress never begins behind it.
        let events = await bus.subscribe()
        let task = Task { await build.run(bus: bus) }
        let signals = SignalTrap { task.cancel() }
        if useDashboard {
            var options = DashboardRunner.Options.fromEnvironment()
            options.exitOnFinish = exitOnFinish
            options.logRecord = try? BuildHistory(root).recordURL(forNewID: build.buildID)
            // A remote build's layers are in the remote's store, not here.
            options.layerRoot = request.remoteHost == nil ? root.path : nil
            (options.stepHistory, options.trend) = BuildHistoryDigest.load(root: root, dockerfile: request.dockerfilePath)
            let final = await DashboardRunner.run(events: events, options: options) { task.cancel() }
            FileHandle.standardError.write(Data((final.summary() + "\n").utf8))
        } else {
            await ProgressOutput(mode: progress).print(events)
        }
        let outcome = await task.value
        signals.release()
        if progress == .quiet, let digest = outcome.imageDigest { print(digest) }
        switch outcome.status {
        case .succeeded:
            break
        case .failed:
            FileHandle.standardError.write(Data("error: \(outcome.errorText ?? "build failed")\n".utf8))
            throw ExitCode(1)
        case .canceled:
            FileHandle.standardError.write(Data("build canceled\n".utf8))
            throw ExitCode(130)
        }
    }

    /// `--call=check`: BuildKit's check report on stdout, the error (if the Dockerfile cannot be
    /// converted) on stderr; the exit status is 1 when anything was found, as with buildx.
    func runCheck() throws -> Never {
        var args: [String: String] = [:]
        for (k, v) in keyValues(buildArgs) { args[k] = v }
        var request = BuildRequest(contextPath: absolute(context), dockerfilePath: file.map(absolute), target: target, buildArgs: args)
        if let platform { request.platform = parsePlatform(platform) }
        let build = Build(request: request, root: global.stateRoot)
        let report = build.check()
        let source = (try? String(contentsOfFile: request.dockerfilePath, encoding: .utf8)) ?? ""
        let name = (request.dockerfilePath as NSString).lastPathComponent
        var out = report.text(source: source, fileName: name)
        if report.error != nil && !report.warnings.isEmpty { out += "\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
        if let error = report.errorText(source: source, fileName: name) {
            FileHandle.standardError.write(Data("ERROR: \(error)".utf8))
        }
        throw ExitCode(report.warnings.isEmpty && report.error == nil ? 0 : 1)
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// `--secret id=ID,src=PATH` / `id=ID,env=VAR` (docker's forms; `source` and `type` accepted).
    func secrets() throws -> [String: Data] {
        var out: [String: Data] = [:]
        for spec in secret {
            var fields: [String: String] = [:]
            for part in spec.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                fields[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
            guard let id = fields["id"] else { exitWith(message: "--secret \(spec): id= is required") }
            if let src = fields["src"] ?? fields["source"] {
                guard let data = FileManager.default.contents(atPath: src) else { exitWith(message: "--secret \(id): cannot read \(src)") }
                out[id] = data
            } else {
                let name = fields["env"] ?? id
                guard let value = ProcessInfo.processInfo.environment[name] else { exitWith(message: "--secret \(id): environment variable \(name) is not set") }
                out[id] = Data(value.utf8)
            }
        }
        return out
    }

    func sshAgents() -> [String: String] {
        var out: [String: String] = [:]
        for spec in ssh {
            let kv = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let socket = kv.count > 1 ? kv[1] : ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] ?? ""
            out[kv[0]] = socket
        }
        return out
    }
}

/// Cancels the build on SIGINT/SIGTERM/SIGHUP (a second signal exits at once). A plain `sigaction`
/// handler writes the signal number into a pipe; a thread of its own, which unblocks the
/// signals for itself (a parent may have started us with them blocked), reads it and cancels.
final class SignalTrap: @unchecked Sendable {
    nonisolated(unsafe) static var pipeWrite: Int32 = -1
    private let readFD: Int32

    init(_ onSignal: @escaping @Sendable () -> Void) {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        readFD = fds[0]
        Self.pipeWrite = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { sig in
            var byte = UInt8(truncatingIfNeeded: sig)
            _ = write(SignalTrap.pipeWrite, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGHUP, &action, nil)
        let fd = readFD
        Thread.detachNewThread {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGINT)
            sigaddset(&set, SIGTERM)
            sigaddset(&set, SIGHUP)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
            var signals = 0
            var byte: UInt8 = 0
            while read(fd, &byte, 1) == 1 {
                signals += 1
                if signals > 1 { Foundation.exit(130) }
                onSignal()
            }
        }
    }

    func release() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
        close(Self.pipeWrite)
    }
}

/// Writes progress for the chosen mode: BuildKit's plain format or rawjson on stderr, or nothing.
/// A live stream is written event by event (nothing waits in a buffer); events that are all
/// here already (a replay at `--speed max`) are written in large pieces.
struct ProgressOutput {
    let mode: BuildCommand.Progress

    func print(_ events: AsyncStream<BuildEvent>) async {
        var writer = StderrBuffer()
        var format = ProgressFormat(mode: mode)
        for await e in events {
            format.consume(e, into: &writer.bytes)
            writer.flush()
        }
        format.finish(into: &writer.bytes)
        writer.flush()
    }

    /// The same output for events that are all here already (a replay at `--speed max`).
    func print(_ events: [BuildEvent]) {
        var writer = StderrBuffer()
        var format = ProgressFormat(mode: mode)
        for e in events {
            format.consume(e, into: &writer.bytes)
            writer.flushIfBig()
        }
        format.finish(into: &writer.bytes)
        writer.flush()
    }
}

/// Turns events into the bytes of one progress mode: BuildKit's plain format, rawjson, or nothing.
struct ProgressFormat {
    let mode: BuildCommand.Progress
    private var printer = PlainProgressPrinter()
    private var encoder = RawJSONEncoder()

    init(mode: BuildCommand.Progress) {
        self.mode = mode
    }

    mutating func consume(_ event: BuildEvent, into bytes: inout [UInt8]) {
        switch mode {
        case .quiet:
            break
        case .rawjson:
            if let line = encoder.encode(event) {
                bytes.append(contentsOf: line.utf8)
                bytes.append(UInt8(ascii: "\n"))
            }
        case .plain, .auto, .tty:
            printer.consume(event, into: &bytes)
        }
    }

    mutating func finish(into bytes: inout [UInt8]) {
        if mode == .plain || mode == .auto || mode == .tty { printer.finish(into: &bytes) }
    }
}

/// Bytes on their way to stderr, written in large pieces.
struct StderrBuffer {
    var bytes: [UInt8] = []

    mutating func flushIfBig() {
        if bytes.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        var offset = 0
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            while offset < raw.count {
                let n = write(STDERR_FILENO, base + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// What past builds of the same Dockerfile say: each step's median duration (for the ETA) and
/// the cache-hit rate and duration of the last 30 builds (for the trend).
enum BuildHistoryDigest {
    static func load(root: StateRoot, dockerfile: String) -> ([String: Double], [(hitRate: Double, duration: Double)]) {
        let history = BuildHistory(root)
        guard let recent = try? history.recent(30, where: { $0.dockerfile == dockerfile && $0.status == .succeeded }) else {
            return ([:], [])
        }
        let trend = recent.reversed().map { b in
            (hitRate: b.steps > 0 ? Double(b.cachedSteps) / Double(b.steps) : 0, duration: b.duration)
        }
        var samples: [String: [Double]] = [:]
        for b in recent.prefix(5) {
            for row in (try? history.stepRows(id: b.id)) ?? [] where !row.cached {
                if let d = row.duration { samples[row.name, default: []].append(d) }
            }
        }
        var medians: [String: Double] = [:]
        for (name, values) in samples {
            let sorted = values.sorted()
            medians[name] = sorted[sorted.count / 2]
        }
        return (medians, trend)
    }
}
