import Foundation

/// A build sent to a Docker engine (`--builder docker`): the same request, record, attach socket
/// and progress as a local build, with the engine's BuildKit doing the work. The context goes as
/// a tar of what `.dockerignore` lets through; the engine's progress comes back as BuildKit's
/// status and becomes this build's events.
extension Build {
    /// What the Engine API's build endpoint can take without a BuildKit session: the rest is
    /// refused by name before anything is sent, never dropped.
    static func engineRefusals(_ request: BuildRequest) -> [String] {
        var refused: [String] = []
        if !request.secrets.isEmpty { refused.append("--secret") }
        if !request.sshAgents.isEmpty { refused.append("--ssh") }
        if !request.outputs.isEmpty { refused.append("--output (the image stays in the engine; tag it with -t)") }
        if !request.cacheTo.isEmpty { refused.append("--cache-to") }
        if request.cacheFrom.contains(where: { if case .local = $0.location { return true }; return false }) {
            refused.append("--cache-from type=local")
        }
        if !request.buildContexts.isEmpty { refused.append("--build-context") }
        if !request.noCacheStages.isEmpty { refused.append("--no-cache-filter") }
        if !request.allow.isEmpty { refused.append("--allow") }
        return refused
    }

    /// The build's options as `POST /build` query parameters, spelled as the docker client does.
    static func engineQuery(_ request: BuildRequest, dockerfile: String) -> [(String, String)] {
        func json(_ value: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
        var query: [(String, String)] = [("dockerfile", dockerfile), ("rm", "1")]
        for tag in request.tags { query.append(("t", tag)) }
        if let target = request.target { query.append(("target", target)) }
        if !request.buildArgs.isEmpty { query.append(("buildargs", json(request.buildArgs))) }
        if !request.labels.isEmpty { query.append(("labels", json(request.labels))) }
        if request.noCache { query.append(("nocache", "1")) }
        if request.pull { query.append(("pull", "1")) }
        if let network = request.network { query.append(("networkmode", network)) }
        if request.platformGiven { query.append(("platform", request.platform.description)) }
        let cacheFrom = request.cacheFrom.compactMap { spec -> String? in
            if case .registry(let ref) = spec.location { return ref }
            return nil
        }
        if !cacheFrom.isEmpty { query.append(("cachefrom", json(cacheFrom))) }
        return query
    }

    func executeOnEngine(_ host: String, text: String, events: AsyncStream<BuildEvent>.Continuation,
                         started: Date) async -> BuildOutcome {
        let refused = Self.engineRefusals(request)
        guard refused.isEmpty else {
            return finish(events, .failed, started: started, error: "--builder docker cannot take \(refused.joined(separator: ", ")) "
                          + "without a BuildKit session, which swbuild does not open; build with the local engine instead")
        }
        let engine: DockerEngine
        do {
            engine = try DockerEngine(host: host)
        } catch {
            return finish(events, .failed, started: started, error: "\(error)")
        }
        defer { engine.close() }
        let archive: ContextArchive
        do {
            _ = try await engine.version()
            archive = try ContextArchive.make(context: request.contextPath, dockerfile: request.dockerfilePath, in: root)
        } catch {
            return finish(events, .failed, started: started, error: "\(error)")
        }
        defer { archive.remove() }
        let state = EngineProgress()
        do {
            try await engine.build(context: archive.path, query: Self.engineQuery(request, dockerfile: archive.dockerfileName)) { line in
                for event in try state.read(line, host: host) { events.yield(event) }
            }
        } catch {
            let (steps, cached) = state.counts
            if Task.isCancelled || error is CancellationError {
                return finish(events, .canceled, started: started, steps: steps, cached: cached, error: "build canceled")
            }
            return finish(events, .failed, started: started, steps: steps, cached: cached, error: "\(error)")
        }
        let (steps, cached) = state.counts
        if let failure = state.failure {
            return finish(events, .failed, started: started, steps: steps, cached: cached, error: failure)
        }
        var outputs = ["image in the Docker engine \(host)" + (state.imageID.map { ": \($0)" } ?? "")]
        outputs += request.tags.map { "tagged \($0) in the Docker engine" }
        return finish(events, .succeeded, started: started, steps: steps, cached: cached, outputs: outputs)
    }
}

/// The engine's answer as it streams: events from its traces, the image id, the error.
final class EngineProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var decoder = RawJSONDecoder()
    private var completed: [String: Bool] = [:]
    private(set) var imageID: String?
    private(set) var failure: String?

    func read(_ line: Data, host: String) throws -> [BuildEvent] {
        lock.lock()
        defer { lock.unlock() }
        switch try EngineTrace.read(line, host: host) {
        case .status(let status):
            for v in status.vertexes where v.completed != nil && v.error == nil {
                completed[v.digest] = v.cached ?? false
            }
            return decoder.decode(status)
        case .imageID(let id):
            imageID = id
        case .error(let message):
            failure = message
        case .other:
            break
        }
        return []
    }

    /// Steps that ended, and of them those the cache served.
    var counts: (Int, Int) {
        lock.lock()
        defer { lock.unlock() }
        return (completed.count, completed.values.filter { $0 }.count)
    }
}
