import BuildCore

/// A row of the build view: one Dockerfile stage and its steps, or the internal lane.
///
/// Vertices that are not Dockerfile instructions (`[internal] load build context`,
/// `[internal] load metadata …`, `exporting to image`) share the internal lane, so a stage's
/// lane holds exactly its `[stage i/n]` steps. Lanes come internal first, then stages in the
/// order their first step appears in the plan; steps keep plan order inside their lane.
struct Lane: Sendable, Equatable {
    enum Key: Hashable, Sendable {
        case `internal`
        case stage(String)
    }

    var key: Key
    var steps: [Digest]

    var title: String {
        switch key {
        case .internal: return "internal"
        case .stage(let name): return name
        }
    }

    var isInternal: Bool { key == .internal }

    /// Which lane a vertex belongs to. A plan's stage wins; BuildKit's rawjson has none, so the
    /// stage is read from the name (`[build 2/5] RUN …` → `build`; `[2/5] …` is the single stage
    /// of a one-stage Dockerfile, shown as `stage-0` as our frontend names it).
    static func key(name: String, stage: String?) -> Key {
        guard name.hasPrefix("["), !name.hasPrefix("[internal]"), let close = name.firstIndex(of: "]") else {
            return .internal
        }
        if let stage, !stage.isEmpty { return .stage(stage) }
        var words = name[name.index(after: name.startIndex)..<close].split(separator: " ")
        guard let last = words.last, last.contains("/"),
              last.split(separator: "/").allSatisfy({ $0.allSatisfy(\.isNumber) }) else { return .internal }
        words.removeLast()
        return .stage(words.isEmpty ? "stage-0" : words.joined(separator: " "))
    }
}
