import Foundation

/// Cache keys: SHA-256 over a canonical encoding of the vertex's op digest, its inputs' cache keys
/// and the checksums of the content it reads (context files, fetched data, image manifests).
/// Names, times and secret values are never part of a key.
enum CacheKeyBuilder {
    static func key(for v: Vertex, inputKeys: [String], content: [String]) -> String {
        let canonical = JSONText.object([
            ("v", 1),
            ("op", .string(v.digest.value)),
            ("inputs", .strings(inputKeys)),
            ("content", .strings(content)),
        ])
        return Digest.sha256(canonical.rendered).value
    }
}

/// The checksum of one piece of content a step reads, with per-file digests so a miss can name
/// the files that changed.
public struct ContentChecksum: Sendable, Codable, Equatable {
    public var selection: String
    public var digest: String
    public var files: [String: String]
}

extension Solver {
    /// Checksums of what the vertex reads from the build context (COPY sources, bind mounts).
    func contentChecksums(for v: Vertex, inputs: [VertexResult]) -> [ContentChecksum] {
        guard let context else { return [] }
        func isContext(_ index: Int) -> Bool {
            guard index >= 0, index < v.inputs.count, let input = graph[v.inputs[index]],
                  case .source(.local) = input.op else { return false }
            return true
        }
        var selections: [String] = []
        switch v.op {
        case .file(let f):
            for case .copy(let c) in f.actions where isContext(c.input) { selections.append(c.source) }
        case .exec(let e):
            for m in e.mounts where m.input.map(isContext) == true { selections.append(m.spec.source ?? "/") }
        default:
            break
        }
        return selections.map { selection in
            let (digest, paths) = context.checksum(selecting: selection)
            var files: [String: String] = [:]
            for p in paths.prefix(10_000) { files[p] = context.contents[p] ?? "" }
            return ContentChecksum(selection: selection, digest: digest, files: files)
        }
    }
}
