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

/// What a step reads from a build context: its checksum (for the key) and the paths it covers,
/// from which the per-file list (for explaining a miss) is made only when it is wanted.
struct ContextRead {
    var checksum: ContentChecksum
    let paths: [String]
    let context: BuildContext

    /// The checksum with its per-file list (at most 10,000 files).
    var listed: ContentChecksum {
        var full = checksum
        for p in paths.prefix(10_000) { full.files[p] = context.contents[p] ?? "" }
        return full
    }

    /// What the build record keeps of this read: the checksum, and the files when there are few.
    var recorded: ReadSelection {
        guard paths.count <= ReadSelection.listedFileLimit else {
            return ReadSelection(selection: checksum.selection, digest: checksum.digest)
        }
        var files: [String: String] = [:]
        for p in paths { files[p] = context.contents[p] ?? "" }
        return ReadSelection(selection: checksum.selection, digest: checksum.digest, files: files)
    }
}

extension [ContextRead] {
    /// The reads as a completion records them: nil for a step that read no context.
    var recorded: [ReadSelection]? { isEmpty ? nil : map(\.recorded) }
}

extension Solver {
    /// What the vertex reads from the build context (COPY sources, bind mounts), each selection
    /// checksummed once.
    func contextReads(for v: Vertex, inputs: [VertexResult]) -> [ContextRead] {
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
            // The build context's selections keep their plain names (and so their keys).
            let label = name == GraphBuilder.buildContextName ? selection : name + ":" + selection
            return ContextRead(checksum: ContentChecksum(selection: label, digest: digest, files: [:]), paths: paths, context: context)
        }
    }
}
