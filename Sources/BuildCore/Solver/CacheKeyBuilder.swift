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
    /// Checksums of what the vertex reads from the build context (COPY sources, bind mounts);
    /// `listingFiles: false` leaves out the per-file list (only the digests, for the key).
    func contentChecksums(for v: Vertex, inputs: [VertexResult], listingFiles: Bool = true) -> [ContentChecksum] {
        func local(_ index: Int) -> (name: String, context: BuildContext)? {
            guard index >= 0, index < v.inputs.count, case .source(.local(let name, _))? = graph[v.inputs[index]]?.op,
                  let context = contexts[name] else { return nil }
            return (name, context)
        }
        var selections: [(name: String, context: BuildContext, selection: String)] = []
        switch v.op {
        case .file(let f):
            for case .copy(let c) in f.actions {
                if let l = local(c.input) { selections.append((l.name, l.context, c.source)) }
            }
        case .exec(let e):
            for m in e.mounts {
                if let index = m.input, let l = local(index) { selections.append((l.name, l.context, m.spec.source ?? "/")) }
            }
        default:
            break
        }
        return selections.map { name, context, selection in
            let (digest, paths) = context.checksum(selecting: selection)
            var files: [String: String] = [:]
            if listingFiles { for p in paths.prefix(10_000) { files[p] = context.contents[p] ?? "" } }
            // The build context's selections keep their plain names (and so their keys).
            let label = name == GraphBuilder.buildContextName ? selection : name + ":" + selection
            return ContentChecksum(selection: label, digest: digest, files: files)
        }
    }
}
