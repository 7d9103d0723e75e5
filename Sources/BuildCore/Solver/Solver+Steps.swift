import Foundation

extension Solver {
    /// Sources: nothing, an image from the local store, the build context, or a URL.
    func solveSource(_ source: SourceOp, vertex v: Vertex) async throws -> VertexResult {
        switch source {
        case .scratch:
            return VertexResult(snapshot: .empty, cacheKey: CacheKeyBuilder.key(for: v, inputKeys: [], content: []), cached: true)
        case .image(let reference, let platform):
            let image = try await images.resolve(reference, platform: platform, vertex: v.digest)
            let key = CacheKeyBuilder.key(for: v, inputKeys: [], content: [image.manifestDigest])
            return VertexResult(snapshot: Snapshot(layers: image.layers), cacheKey: key, cached: true, image: image)
        case .local(let name, _):
            guard let context = contexts[name] else { throw SolveError(message: "the local source \(name) was not loaded") }
            let total = context.totalBytes
            emit(.progress(ProgressUpdate(digest: v.digest, id: "transferring context", current: total, total: total, completed: true)))
            let all = context.checksum(selecting: "/").digest
            return VertexResult(snapshot: .empty, cacheKey: CacheKeyBuilder.key(for: v, inputKeys: [], content: [all]), cached: true)
        case .http(let url, let checksum, let filename):
            let data = try await URLFetcher.fetch(url)
            let digest = Digest.sha256(data).value
            if let checksum, checksum != digest {
                throw SolveError(message: "digest mismatch for \(url): expected \(checksum), got \(digest)")
            }
            emit(.progress(ProgressUpdate(digest: v.digest, id: "downloading", current: Int64(data.count), total: Int64(data.count), completed: true)))
            let working = try snapshotter.mountWritable(.empty)
            do {
                try FileActions.writeFile(data, at: try ScopedPath.resolve(filename, in: working.merged, followFinal: false),
                                          mode: 0o600, owner: (0, 0))
            } catch {
                snapshotter.release(working)
                throw error
            }
            let layer = try snapshotter.commit(working)
            return VertexResult(snapshot: Snapshot(layers: [layer]), cacheKey: CacheKeyBuilder.key(for: v, inputKeys: [], content: [digest]), cached: false)
        }
    }

    /// Runs an exec or file vertex over its base and returns the new layer's id.
    func runStep(_ v: Vertex, base: Snapshot, inputs: [VertexResult]) async throws -> String {
        let working = try snapshotter.mountWritable(base)
        var cleanups: [@Sendable () -> Void] = []
        defer { for c in cleanups.reversed() { c() } }
        do {
            switch v.op {
            case .exec(let exec):
                var mounts: [PreparedMount] = []
                var secretEnv: [String] = []
                for m in exec.mounts {
                    let prepared = try await prepareMount(m, vertex: v, inputs: inputs, cleanups: &cleanups, secretEnv: &secretEnv)
                    mounts.append(contentsOf: prepared)
                }
                let request = ExecRequest(op: exec, rootfs: working.merged, mounts: mounts, secretEnvironment: secretEnv)
                let digest = v.digest
                let tail = LogTailBox()
                let events = self.events
                let gate = options.outputGate
                let output = MaskedOutput(masker: SecretMasker(secrets: Array(options.secrets.values))) { stream, data in
                    gate?.enter(data.count)
                    events.yield(BuildEvent(.log(LogChunk(digest: digest, stream: stream, data: data))))
                    tail.append(data)
                }
                do {
                    // Before the tail is read: a failing step's last bytes belong in its report.
                    defer { output.finish() }
                    // The executor's output threads may wait at the gate; the flush above may not.
                    try await executor.run(request) { stream, data in
                        gate?.waitForRoom()
                        output.write(stream, data)
                    }
                } catch {
                    logTails[digest] = tail.snapshot
                    throw error
                }
            case .file(let file):
                try await applyFileOp(file, vertex: v, inputs: inputs, merged: working.merged, cleanups: &cleanups)
            default:
                break
            }
        } catch {
            for c in cleanups.reversed() { c() }
            cleanups = []
            snapshotter.release(working)
            throw error
        }
        for c in cleanups.reversed() { c() }
        cleanups = []
        return try snapshotter.commit(working, origin: LayerOrigin(step: v.name, file: v.location?.file, line: v.location?.line))
    }

    /// The filesystem of input `index` mounted read-only, or the context directory.
    func sourceRoot(input index: Int, vertex v: Vertex, inputs: [VertexResult],
                    cleanups: inout [@Sendable () -> Void]) throws -> (path: String, context: BuildContext?) {
        guard index >= 0, index < inputs.count, let input = graph[v.inputs[index]] else {
            return (try snapshotter.emptyDirectory(), nil)
        }
        if let context = localContext(input.digest) { return (context.root, context) }
        let mounted = try snapshotter.mountReadOnly(inputs[index].snapshot)
        cleanups.append(mounted.release)
        return (mounted.path, nil)
    }
}

/// Fetches ADD URLs.
enum URLFetcher {
    static func fetch(_ url: String) async throws -> Data {
        guard let u = URL(string: url) else { throw SolveError(message: "invalid URL \(url)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-fsSL", "--max-time", "300", u.absoluteString]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw SolveError(message: "cannot fetch \(url): curl is not available")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SolveError(message: "failed to fetch \(url): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return data
    }
}
