import Foundation

/// Lowers a resolved Dockerfile to the build graph (BuildKit's dockerfile2llb): one vertex per RUN,
/// COPY/ADD and WORKDIR, image and context sources shared, and only the stages the target reaches.
public struct GraphBuilder: Sendable {
    /// `.dockerignore` patterns, part of the context source's identity.
    public var contextExcludes: [String]
    /// The `.dockerignore` patterns of each named local context.
    public var namedContextExcludes: [String: [String]]

    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The local source name of the build context.
    public static let buildContextName = "context"

    /// The local source name of `--build-context NAME=DIR`.
    public static func localName(ofContext name: String) -> String { buildContextName + ":" + name }

    /// The `--build-context` name a local source stands for; nil for the build context itself.
    public static func contextName(ofLocal localName: String) -> String? {
        localName.hasPrefix(buildContextName + ":") ? String(localName.dropFirst(buildContextName.count + 1)) : nil
    }

    public init(contextExcludes: [String] = [], namedContextExcludes: [String: [String]] = [:]) {
        self.contextExcludes = contextExcludes
        self.namedContextExcludes = namedContextExcludes
    }

    /// The current filesystem of a stage while it is lowered: nil is an empty root (scratch).
    typealias State = Digest?

    public func build(_ plan: BuildPlan) throws(FrontendError) -> BuildGraph {
        var graph = BuildGraph()
        var lowering = Lowering(plan: plan, contextExcludes: contextExcludes, namedContextExcludes: namedContextExcludes)
        for i in plan.reachable {
            let output = try lowering.lower(stage: i, into: &graph)
            if let output { graph.stageOutputs[i] = output }
        }
        graph.target = graph.stageOutputs[plan.targetIndex]
        return graph
    }
}

/// The work of one `GraphBuilder.build`: stage outputs so far and the shared sources.
struct Lowering {
    let plan: BuildPlan
    let contextExcludes: [String]
    let namedContextExcludes: [String: [String]]
    var outputs: [Int: Digest?] = [:]
    var context: Digest?
    var namedContexts: [String: Digest] = [:]
    var images: [String: Digest] = [:]

    init(plan: BuildPlan, contextExcludes: [String], namedContextExcludes: [String: [String]] = [:]) {
        self.plan = plan
        self.contextExcludes = contextExcludes
        self.namedContextExcludes = namedContextExcludes
    }

    var multiStage: Bool { plan.stages.count > 1 }

    mutating func contextSource(_ graph: inout BuildGraph) -> Digest {
        if let context { return context }
        let d = graph.add(.source(.local(name: GraphBuilder.buildContextName, excludes: contextExcludes)), inputs: [],
                          name: "[internal] load build context")
        context = d
        return d
    }

    /// The source of a named local context, shared by every step that reads it.
    mutating func namedContextSource(_ name: String, _ graph: inout BuildGraph) -> Digest {
        if let d = namedContexts[name] { return d }
        let local = SourceOp.local(name: GraphBuilder.localName(ofContext: name), excludes: namedContextExcludes[name] ?? [])
        let d = graph.add(.source(local), inputs: [], name: "[context \(name)] load from client")
        namedContexts[name] = d
        return d
    }

    mutating func imageSource(_ ref: String, platform: Platform, name: String?, stage: String?,
                              location: SourceLocation?, _ graph: inout BuildGraph) -> Digest {
        let normalized = ImageReference.normalize(ref)
        let key = normalized + "|" + platform.description
        if let d = images[key] { return d }
        let d = graph.add(.source(.image(reference: normalized, platform: platform)), inputs: [],
                          name: name ?? "[internal] load image \(normalized)", stage: stage, location: location)
        images[key] = d
        return d
    }

    /// The filesystem a `StageSource` names, adding its vertex when needed.
    mutating func state(of source: StageSource, platform: Platform, _ graph: inout BuildGraph) -> Digest? {
        switch source {
        case .scratch: return nil
        case .stage(let i): return outputs[i] ?? nil
        case .image(let ref): return imageSource(ref, platform: platform, name: nil, stage: nil, location: nil, &graph)
        case .context(let name): return namedContextSource(name, &graph)
        }
    }

    /// Lowers stage `i` (its dependencies were lowered first: they come earlier in the file).
    mutating func lower(stage i: Int, into graph: inout BuildGraph) throws(FrontendError) -> Digest? {
        let rs = plan.stages[i]
        let producing = rs.steps.filter { step in
            switch step.instruction {
            case .run, .copy, .workdir: true
            default: false
            }
        }.count
        var total = producing
        switch rs.source {
        case .image, .context: total += 1
        default: break
        }
        var counter = StepCounter(stageName: multiStage ? rs.stage.displayName : nil, total: total)
        var current: Digest?
        switch rs.source {
        case .scratch: current = nil
        case .stage(let j): current = outputs[j] ?? nil
        case .image(let ref):
            var shown = ImageReference.normalize(ref)
            if plan.namedContexts[rs.baseResolved] != nil {
                // Named by a --build-context: say which, and what it stands for.
                let target = Digest(parsing: ref).map { "sha256:" + $0.hex.prefix(12) } ?? shown
                shown = rs.baseResolved + " (" + target + ")"
            }
            let name = counter.next("FROM " + shown)
            current = imageSource(ref, platform: rs.platform, name: name, stage: rs.stage.displayName,
                                  location: rs.stage.location, &graph)
        case .context(let contextName):
            // A directory as a base: its files copied onto an empty root, as one layer.
            let source = namedContextSource(contextName, &graph)
            let copy = CopyAction(input: 0, source: "/", destination: "/")
            current = graph.add(.file(FileOp(hasBase: false, actions: [.copy(copy)])), inputs: [source],
                                name: counter.next("FROM " + contextName), stage: rs.stage.displayName, location: rs.stage.location)
        }
        for step in rs.steps {
            switch step.instruction {
            case .run(let run):
                current = try lowerRun(run, step: step, stage: rs, base: current, name: counter.next(step.text), &graph)
            case .copy(let copy):
                current = try lowerCopy(copy, step: step, stage: rs, base: current, name: counter.next(step.text), &graph)
            case .workdir(let dir):
                let op = FileOp(hasBase: current != nil, actions: [.mkdir(path: dir, mode: 0o755, makeParents: true, owner: step.user)])
                current = graph.add(.file(op), inputs: current.map { [$0] } ?? [], name: counter.next(step.text),
                                    stage: rs.stage.displayName, location: step.location)
            default:
                continue
            }
        }
        outputs[i] = current
        return current
    }
}

/// Names steps `[stage i/n] TEXT` with `i` padded to the width of `n`, as BuildKit does.
struct StepCounter {
    let stageName: String?
    let total: Int
    var index = 0

    mutating func next(_ text: String) -> String {
        index += 1
        let width = String(total).count
        let number = String(index)
        let padded = String(repeating: " ", count: max(0, width - number.count)) + number
        let prefix = stageName.map { $0 + " " } ?? ""
        return "[\(prefix)\(padded)/\(total)] \(Self.uppercasingKeyword(text))"
    }

    static func uppercasingKeyword(_ text: String) -> String {
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        let keyword = trimmed.prefix { $0 != " " && $0 != "\t" }
        return keyword.uppercased() + trimmed.dropFirst(keyword.count)
    }
}
