import Foundation

/// A node of the build graph: an op applied to the outputs of its inputs.
public struct Vertex: Sendable, Equatable, Identifiable {
    public var digest: Digest
    public var op: Op
    public var inputs: [Digest]
    /// BuildKit-style progress name: `[builder 2/5] RUN make`, `[internal] load build context`.
    public var name: String
    /// The stage that first produced this vertex (nil for shared internal sources).
    public var stage: String?
    public var location: SourceLocation?

    public var id: Digest { digest }

    /// The digest of an op over its inputs: SHA-256 of a versioned canonical encoding.
    public static func digest(of op: Op, inputs: [Digest]) -> Digest {
        let canonical = JSONText.object([("v", 1), ("op", op.canonical), ("inputs", .strings(inputs.map(\.value)))])
        return Digest.sha256(canonical.rendered)
    }

    /// One line of `debug dump-llb`.
    public var json: JSONText {
        .object([
            ("digest", .string(digest.value)),
            ("op", op.canonical),
            ("inputs", .strings(inputs.map(\.value))),
            ("name", .string(name)),
        ])
    }
}

/// The build graph: vertices in a topological order (inputs before users), each exactly once, and
/// the final vertex of each reached stage.
public struct BuildGraph: Sendable, Equatable {
    public private(set) var vertices: [Vertex] = []
    private var index: [Digest: Int] = [:]
    /// Final vertex per stage index, for the stages the target reaches.
    public var stageOutputs: [Int: Digest] = [:]
    public var target: Digest?

    public init() {}

    /// Adds the op (once) and returns its digest.
    @discardableResult
    public mutating func add(_ op: Op, inputs: [Digest], name: String, stage: String? = nil,
                             location: SourceLocation? = nil) -> Digest {
        let digest = Vertex.digest(of: op, inputs: inputs)
        if index[digest] == nil {
            index[digest] = vertices.count
            vertices.append(Vertex(digest: digest, op: op, inputs: inputs, name: name, stage: stage, location: location))
        }
        return digest
    }

    public subscript(digest: Digest) -> Vertex? {
        index[digest].map { vertices[$0] }
    }
}
