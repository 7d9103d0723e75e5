import Foundation

/// Walks the build graph in parallel (at most `jobs` vertices at once), runs each distinct vertex
/// once, takes what it can from the cache, and reports every step as events. A failure cancels
/// everything still running and is reported with the failing step.
public actor Solver {
    let graph: BuildGraph
    let plan: BuildPlan
    /// Loaded local sources by name: `context` (the build context) and `context:NAME`
    /// (`--build-context NAME=DIR`).
    let contexts: [String: BuildContext]
    let executor: any Executor
    let images: any ImageResolver
    let cache: CacheStore
    let snapshotter: Snapshotter
    let options: SolveOptions
    let events: AsyncStream<BuildEvent>.Continuation
    let explainer: MissExplainer

    var results: [Digest: VertexResult] = [:]
    /// Vertices that actually ran in this build (not cached), for miss explanations.
    var executed: Set<Digest> = []
    var logTails: [Digest: LogTail] = [:]
    /// Why each executed step missed the cache, for its completion, failed or not.
    var missReasons: [Digest: String] = [:]

    public init(graph: BuildGraph, plan: BuildPlan, contexts: [String: BuildContext], executor: any Executor,
                images: any ImageResolver, cache: CacheStore, snapshotter: Snapshotter, options: SolveOptions,
                explainer: MissExplainer, events: AsyncStream<BuildEvent>.Continuation) {
        self.graph = graph
        self.plan = plan
        self.contexts = contexts
        self.executor = executor
        self.images = images
        self.cache = cache
        self.snapshotter = snapshotter
        self.options = options
        self.explainer = explainer
        self.events = events
    }

    /// Only the build context, the common case.
    public init(graph: BuildGraph, plan: BuildPlan, context: BuildContext?, executor: any Executor, images: any ImageResolver,
                cache: CacheStore, snapshotter: Snapshotter, options: SolveOptions, explainer: MissExplainer,
                events: AsyncStream<BuildEvent>.Continuation) {
        self.init(graph: graph, plan: plan, contexts: context.map { [GraphBuilder.buildContextName: $0] } ?? [:], executor: executor, images: images,
                  cache: cache, snapshotter: snapshotter, options: options, explainer: explainer, events: events)
    }

    /// The loaded local source a vertex is, if it is one.
    func localContext(_ digest: Digest) -> BuildContext? {
        guard case .source(.local(let name, _))? = graph[digest]?.op else { return nil }
        return contexts[name]
    }

    static func hasBase(_ op: Op) -> Bool {
        switch op {
        case .exec(let e): e.hasRoot
        case .file(let f): f.hasBase
        default: true
        }
    }

    func emit(_ kind: BuildEvent.Kind) {
        events.yield(BuildEvent(kind))
    }

    /// Solves every vertex of the graph and returns the results by digest.
    public func solve() async throws(SolveError) -> [Digest: VertexResult] {
        let vertices = graph.vertices
        let jobs = options.jobs
        var finished: [Digest: VertexResult] = [:]
        do {
            finished = try await withThrowingTaskGroup(of: (Digest, VertexResult).self) { group in
                var done: [Digest: VertexResult] = [:]
                var remaining = Set(vertices.map(\.digest))
                var running: Set<Digest> = []
                while true {
                    for v in vertices where remaining.contains(v.digest) && !running.contains(v.digest) && running.count < jobs {
                        guard v.inputs.allSatisfy({ done[$0] != nil }) else { continue }
                        running.insert(v.digest)
                        let inputs = v.inputs.compactMap { done[$0] }
                        group.addTask { (v.digest, try await self.solveVertex(v, inputs: inputs)) }
                    }
                    guard let (digest, result) = try await group.next() else { break }
                    done[digest] = result
                    running.remove(digest)
                    remaining.remove(digest)
                }
                return done
            }
        } catch let error as SolveError {
            throw error
        } catch {
            throw SolveError(message: "\(error)")
        }
        results = finished
        return results
    }

    /// One vertex: compute its cache key, take it from the cache or run it, and report.
    func solveVertex(_ v: Vertex, inputs: [VertexResult]) async throws -> VertexResult {
        try Task.checkCancellation()
        let started = Date()
        emit(.vertexStarted(v.digest))
        do {
            let result = try await resolve(v, inputs: inputs, started: started)
            return result
        } catch {
            let message: String
            if error is CancellationError || (error as? ExecutorError) == .canceled || Task.isCancelled {
                emit(.vertexCompleted(VertexCompletion(digest: v.digest, status: .canceled, duration: Date().timeIntervalSince(started),
                                                       missReason: missReasons[v.digest])))
                throw SolveError(vertex: v.digest, name: v.name, location: v.location, message: "canceled")
            }
            if let e = error as? SolveError { message = e.message } else if let e = error as? ExecutorError { message = e.description } else {
                message = "\(error)"
            }
            emit(.vertexCompleted(VertexCompletion(digest: v.digest, status: .failed, duration: Date().timeIntervalSince(started),
                                                   missReason: missReasons[v.digest], error: message)))
            throw SolveError(vertex: v.digest, name: v.name, location: v.location, message: message,
                             logTail: logTails[v.digest]?.lines ?? [])
        }
    }

    func resolve(_ v: Vertex, inputs: [VertexResult], started: Date) async throws -> VertexResult {
        switch v.op {
        case .source(let source):
            let result = try await solveSource(source, vertex: v)
            if let image = result.image { explainer.recordImage(image.reference, digest: image.manifestDigest) }
            emit(.vertexCompleted(VertexCompletion(digest: v.digest, status: .done, duration: Date().timeIntervalSince(started),
                                                   imageDigest: result.image?.manifestDigest)))
            return result
        case .merge:
            let layers = inputs.flatMap(\.snapshot.layers)
            let key = CacheKeyBuilder.key(for: v, inputKeys: inputs.map(\.cacheKey), content: [])
            emit(.vertexCompleted(VertexCompletion(digest: v.digest, status: .done, duration: Date().timeIntervalSince(started))))
            return VertexResult(snapshot: Snapshot(layers: layers), cacheKey: key, cached: true)
        case .exec, .file:
            // The key needs only the digests; per-file lists are made only to explain a miss.
            let reads = contextReads(for: v, inputs: inputs)
            // The context's own key covers every file; a step keys on just the files it reads.
            let inputKeys = zip(v.inputs, inputs).filter { d, _ in
                if case .source(.local)? = graph[d]?.op { return false }
                return true
            }.map(\.1.cacheKey)
            let key = CacheKeyBuilder.key(for: v, inputKeys: inputKeys, content: reads.map(\.checksum.digest))
            let bypass = options.noCache || (v.stage.map { options.noCacheStages.contains($0) } ?? false)
            var found = bypass ? nil : await cache.lookup(key, layerExists: snapshotter.exists)
            if !bypass, found == nil, let remote = options.remoteCache, let imported = try? await remote.lookup(key, name: v.name) {
                try? await cache.store(imported)
                found = imported
            }
            if let hit = found {
                emit(.vertexCompleted(VertexCompletion(digest: v.digest, status: .cached, duration: 0, layers: hit.layers,
                                                       context: reads.recorded)))
                if !explainer.keptItsKey(v, key: key) {
                    explainer.record(v, key: key, inputKeys: inputKeys, content: reads.map(\.listed), reran: false)
                }
                return VertexResult(snapshot: Snapshot(layers: hit.layers), cacheKey: key, cached: true)
            }
            let content = reads.map(\.listed)
            let reason = bypass ? (options.noCache ? "--no-cache" : "--no-cache-filter \(v.stage ?? "")")
                : explainer.explainMiss(v, key: key, inputKeys: inputKeys, content: content,
                                        rerunInputs: v.inputs.filter { executed.contains($0) }.compactMap { graph[$0]?.name },
                                        baseImages: zip(v.inputs, inputs).compactMap { d, result in
                                            result.image.map { ($0.reference, $0.manifestDigest) } })
            executed.insert(v.digest)
            // Told before the step runs: a viewer shows why while it runs, and if it fails.
            missReasons[v.digest] = reason
            emit(.cacheMiss(CacheMiss(digest: v.digest, reason: reason)))
            // Input 0 is the filesystem being changed only when the op says so (not for scratch or --link).
            let base = Self.hasBase(v.op) ? (inputs.first?.snapshot ?? .empty) : .empty
            let layer = try await runStep(v, base: base, inputs: inputs)
            let snapshot = Snapshot(layers: base.layers + [layer])
            let duration = Date().timeIntervalSince(started)
            try? await cache.store(CacheRecord(key: key, layers: snapshot.layers, duration: duration, name: v.name))
            explainer.record(v, key: key, inputKeys: inputKeys, content: content, reran: true)
            emit(.vertexCompleted(VertexCompletion(digest: v.digest, status: .done, duration: duration, missReason: reason,
                                                   layers: snapshot.layers, context: reads.recorded)))
            return VertexResult(snapshot: snapshot, cacheKey: key, cached: false)
        }
    }

}

/// A `LogTail` filled from the executor's output threads.
final class LogTailBox: @unchecked Sendable {
    private let lock = NSLock()
    private var tail = LogTail()

    func append(_ data: Data) {
        lock.lock()
        tail.append(data)
        lock.unlock()
    }

    var snapshot: LogTail {
        lock.lock()
        defer { lock.unlock() }
        var t = tail
        if !t.partial.isEmpty { t.lines.append(String(decoding: t.partial, as: UTF8.self)) }
        return t
    }
}

/// The last lines a step printed, kept for the failure summary.
///
/// A chunk is read from its end, back to the `keep + 1`th newline at most, so a step printing
/// millions of lines costs a backward byte scan per chunk, not a string per line.
struct LogTail: Sendable {
    static let keep = 20
    /// An unfinished line is kept up to this many bytes (its end).
    static let maxPartial = 16_384

    var lines: [String] = []
    var partial: [UInt8] = []

    mutating func append(_ data: Data) {
        data.withUnsafeBytes { raw in append(raw.bindMemory(to: UInt8.self)) }
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        var newlines: [Int] = []
        var i = bytes.count - 1
        while i >= 0, newlines.count <= Self.keep {
            if bytes[i] == 0x0A { newlines.append(i) }
            i -= 1
        }
        newlines.reverse()
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        if let first = newlines.first {
            if newlines.count > Self.keep {
                // The chunk alone holds more than the tail: what came before does not matter.
                lines = []
            } else {
                partial.append(contentsOf: bytes[..<first])
                lines.append(String(decoding: partial, as: UTF8.self))
            }
            for (a, b) in zip(newlines, newlines.dropFirst()) { lines.append(text((a + 1)..<b)) }
            partial = Array(bytes[(newlines[newlines.count - 1] + 1)...])
            if lines.count > Self.keep { lines.removeFirst(lines.count - Self.keep) }
        } else {
            partial.append(contentsOf: bytes)
        }
        if partial.count > Self.maxPartial { partial.removeFirst(partial.count - Self.maxPartial) }
    }
}
