import Foundation

/// How a build ended, for the command line's summary and exit status.
public struct BuildOutcome: Sendable {
    public var buildID: String
    public var status: BuildFinish.Status
    public var imageDigest: String?
    public var outputs: [String]
    /// A Dockerfile error (with its location) or a step failure, rendered for the terminal.
    public var errorText: String?
    public var duration: Double
}

/// One build from request to outputs: parse and resolve the Dockerfile, load the context, lower
/// to the graph, solve it with real containers, export, and record every event in the history.
/// All state lives under `root`; nothing is left mounted or running when it returns, whatever
/// happened (failure, cancellation).
public struct Build: Sendable {
    /// The largest Dockerfile read (BuildKit's frontend has no use for more either).
    public static let maxDockerfileBytes = 4 << 20
    public let request: BuildRequest
    public let root: StateRoot
    public let buildID: String

    public init(request: BuildRequest, root: StateRoot, buildID: String = Build.newID()) {
        self.request = request
        self.root = root
        self.buildID = buildID
    }

    public static func newID() -> String {
        String(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20))
    }

    /// Runs the build, publishing every event on `bus` (and into the build record), and finishes
    /// the bus when done.
    public func run(bus: EventBus) async -> BuildOutcome {
        let started = Date()
        let (stream, events) = AsyncStream<BuildEvent>.makeStream()
        let forward = Task {
            for await e in stream { await bus.publish(e) }
        }
        let gate = OutputGate()
        let recorder = Task {
            // Whatever happens to the record, no step may wait for it afterwards.
            defer { gate.open() }
            do {
                let writer = try BuildHistory(root).writer(buildID: buildID)
                try await writer.record(await bus.subscribe(), acknowledging: bus, releasing: gate)
            } catch {
                await bus.lostRecord()
            }
        }
        // Every build can be watched from elsewhere, whatever its own progress output.
        let attach: AttachServer?
        do {
            attach = try AttachServer(root: root, buildID: buildID, bus: bus)
        } catch {
            attach = nil
            events.yield(BuildEvent(.warning(BuildWarning(message: "attach is unavailable for this build: \(error)"))))
        }
        var outcome = await execute(events: events, started: started, gate: gate)
        outcome.duration = Date().timeIntervalSince(started)
        events.finish()
        await forward.value
        await bus.finish()
        await recorder.value
        await attach?.stop()
        return outcome
    }

    /// A remote build with `--detach`: the context goes over and the build starts there, where
    /// its record is kept; this side publishes its events until then and keeps no record.
    public func runDetached(bus: EventBus) async -> BuildOutcome {
        let started = Date()
        let (stream, events) = AsyncStream<BuildEvent>.makeStream()
        let forward = Task {
            for await e in stream { await bus.publish(e) }
        }
        var outcome = await execute(events: events, started: started)
        outcome.duration = Date().timeIntervalSince(started)
        events.finish()
        await forward.value
        await bus.finish()
        return outcome
    }

    func finish(_ events: AsyncStream<BuildEvent>.Continuation, _ status: BuildFinish.Status, started: Date, steps: Int = 0,
                cached: Int = 0, image: String? = nil, outputs: [String] = [], error: String? = nil) -> BuildOutcome {
        let duration = Date().timeIntervalSince(started)
        events.yield(BuildEvent(.buildFinished(BuildFinish(status: status, duration: duration, steps: steps, cachedSteps: cached,
                                                           imageDigest: image, outputs: outputs, error: error))))
        return BuildOutcome(buildID: buildID, status: status, imageDigest: image, outputs: outputs, errorText: error, duration: duration)
    }

    func execute(events: AsyncStream<BuildEvent>.Continuation, started: Date, gate: OutputGate? = nil) async -> BuildOutcome {
        // Read inside its own directory: a Dockerfile in an untrusted context that links to a
        // host file is followed there, never to the host.
        var text: String?
        var readError = "cannot read \(request.dockerfilePath): no such file"
        do {
            text = try ScopedPath.read(PathText.lastComponent(of: request.dockerfilePath),
                                       in: PathText.parent(of: request.dockerfilePath), limit: Self.maxDockerfileBytes)
                .map { String(decoding: $0, as: UTF8.self) }
        } catch {
            readError = "cannot read the Dockerfile: \(error)"
        }
        events.yield(BuildEvent(.buildStarted(BuildStart(
            buildID: buildID, contextPath: request.contextLabel ?? request.contextPath, dockerfilePath: request.dockerfilePath,
            dockerfileText: text ?? "", target: request.target, buildArgs: request.buildArgs, tags: request.tags,
            platform: request.platform.description, noCache: request.noCache))))
        guard let text else {
            return finish(events, .failed, started: started, error: readError)
        }
        if let engine = request.engine {
            return await executeOnEngine(engine, text: text, events: events, started: started)
        }
        if let host = request.remoteHost {
            return await executeRemotely(host, text: text, events: events, started: started)
        }
        BuildSessionLock.cleanUpStale(root: root, runtime: request.runtime)
        let prepared: PreparedBuild
        do {
            prepared = try await prepare(text: text, events: events, gate: gate)
        } catch let error as FrontendError {
            return finish(events, .failed, started: started, error: error.rendered(source: text))
        } catch {
            return finish(events, .failed, started: started, error: "\(error)")
        }
        let steps = prepared.graph.vertices.filter { if case .source = $0.op { return false }; return true }.count
        do {
            let results = try await prepared.solver.solve()
            prepared.explainer.save()
            try Task.checkCancellation()
            let cached = results.filter { d, r in r.cached && prepared.graph[d].map { if case .source = $0.op { return false }; return true } == true }.count
            let exported = try await Exporting(build: self, prepared: prepared, results: results).run(events: events)
            return finish(events, .succeeded, started: started, steps: steps, cached: cached, image: exported.imageDigest,
                          outputs: exported.outputs)
        } catch let error as SolveError {
            prepared.explainer.save()
            if error.message == "canceled" || Task.isCancelled {
                return finish(events, .canceled, started: started, steps: steps, error: "build canceled")
            }
            return finish(events, .failed, started: started, steps: steps, error: FailureReport(error: error, source: text).text)
        } catch {
            prepared.explainer.save()
            if Task.isCancelled { return finish(events, .canceled, started: started, steps: steps, error: "build canceled") }
            return finish(events, .failed, started: started, steps: steps, error: "\(error)")
        }
    }
}

