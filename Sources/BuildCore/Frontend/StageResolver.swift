import Foundation

/// Walks the stages as BuildKit's dispatcher does: resolves each FROM with the global ARGs, scopes
/// ARGs per stage, tracks ENV/WORKDIR/USER/SHELL, expands each instruction's words, and resolves
/// `COPY --from` and `RUN --mount from=` to stages or images.
public struct StageResolver: Sendable {
    public var options: FrontendOptions

    public init(options: FrontendOptions) {
        self.options = options
    }

    /// ONBUILD triggers as instructions, located at the stage's FROM (their own text is not in
    /// this Dockerfile) and named `ONBUILD …` in progress.
    static func onBuildInstructions(_ triggers: [String], stage: Stage, fileName: String) throws(FrontendError) -> [LocatedInstruction] {
        var out: [LocatedInstruction] = []
        for trigger in triggers {
            let parsed: Dockerfile
            do {
                parsed = try Dockerfile.parse("FROM scratch\n" + trigger + "\n", fileName: fileName)
            } catch {
                throw FrontendError(.syntax, "invalid ONBUILD trigger \(GoQuote.quote(trigger)) of the base: \(error.message)", at: stage.location)
            }
            guard parsed.stages.count == 1 else {
                throw FrontendError(.syntax, "FROM isn't allowed as an ONBUILD trigger", at: stage.location)
            }
            for var located in parsed.stages[0].instructions {
                located.location = stage.location
                located.text = "ONBUILD " + located.text
                out.append(located)
            }
        }
        return out
    }

    /// Args any stage may use without declaring them (passed through to RUN when given).
    static let proxyArgs: Set<String> = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
                                         "ftp_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"]

    var platformArgs: [(String, String)] {
        options.targetPlatform.args(prefix: "TARGET") + options.buildPlatform.args(prefix: "BUILD")
    }

    public func resolve(_ dockerfile: Dockerfile) throws(FrontendError) -> BuildPlan {
        var consumed: Set<String> = []
        // Global scope: platform args, then the ARGs before the first FROM.
        var global = OrderedEnvironment(platformArgs)
        for decl in dockerfile.globalArgs {
            let value: String?
            if let given = options.buildArgs[decl.name] {
                value = given
                consumed.insert(decl.name)
            } else if let d = decl.defaultValue {
                value = try expand(d, in: global, at: firstLocation(of: decl, in: dockerfile))
            } else {
                value = nil
            }
            if let value { global.set(decl.name, value) } else { global.declare(decl.name) }
        }

        let byName = Dictionary(dockerfile.stages.compactMap { s in s.name.map { ($0, s.index) } }, uniquingKeysWith: { a, _ in a })
        var resolved: [ResolvedStage] = []
        for stage in dockerfile.stages {
            let base = try expand(stage.base, in: global, at: stage.location)
            let source = try reference(base, from: stage, byName: byName, count: dockerfile.stages.count, isFrom: true)
            var platform = options.targetPlatform
            if let p = stage.platform {
                let expanded = try expand(p, in: global, at: stage.location)
                guard let parsed = Platform(parsing: expanded) else {
                    throw FrontendError(.invalidFlag, "failed to parse platform \(expanded)", at: stage.location)
                }
                platform = parsed
            }
            var state: StageState
            // The base's ONBUILD triggers run first (BuildKit's dispatchOnBuildTriggers).
            var triggers: [String] = []
            switch source {
            case .stage(let i):
                state = resolved[i].finalState
                triggers = resolved[i].steps.compactMap { if case .onbuild(let t) = $0.instruction { t } else { nil } }
            case .image(let ref):
                state = StageState(environment: OrderedEnvironment(options.baseImageEnvironment[ref]?.map { ($0.key, $0.value) } ?? []))
                if let setup = options.baseImageSetup[ref] {
                    if !setup.workingDir.isEmpty { state.workdir = setup.workingDir }
                    if !setup.user.isEmpty { state.user = setup.user }
                    triggers = setup.onBuild
                }
            case .scratch, .context:
                state = StageState(environment: OrderedEnvironment([]))
            }
            state.arguments = OrderedEnvironment([])
            var rs = ResolvedStage(stage: stage, baseResolved: base, source: source, dependsOn: [], steps: [], platform: platform)
            if case .stage = source { rs.dependsOn.append(source) }
            let instructions = try Self.onBuildInstructions(triggers, stage: stage, fileName: dockerfile.fileName) + stage.instructions
            for (n, located) in instructions.enumerated() {
                let step = try resolveStep(located, index: n + 1, state: &state, global: global, stage: stage,
                                           byName: byName, count: dockerfile.stages.count, consumed: &consumed)
                for s in step.sources where !rs.dependsOn.contains(s) {
                    if case .stage = s { rs.dependsOn.append(s) }
                }
                rs.steps.append(step)
            }
            rs.finalState = state
            resolved.append(rs)
        }

        var targetIndex = dockerfile.stages.count - 1
        if let target = options.target {
            guard let i = byName[target.lowercased()] else {
                throw FrontendError(.missingStage, "target stage \(GoQuote.quote(target)) could not be found",
                                    at: SourceLocation(file: dockerfile.fileName, line: 1))
            }
            targetIndex = i
        }
        var reach: Set<Int> = [targetIndex]
        var queue = [targetIndex]
        while let i = queue.popLast() {
            for case .stage(let d) in resolved[i].dependsOn where !reach.contains(d) {
                reach.insert(d)
                queue.append(d)
            }
        }
        // The frontend itself reads BUILDKIT_DOCKERFILE_CHECK (the build checks' config).
        let unused = options.buildArgs.keys.filter {
            !consumed.contains($0) && !Self.proxyArgs.contains($0) && $0 != CheckConfig.buildArgName
        }.sorted()
        var warnings: [String] = []
        if !unused.isEmpty {
            warnings.append("one or more build-args [\(unused.joined(separator: " "))] were not consumed")
        }
        var plan = BuildPlan(dockerfile: dockerfile, stages: resolved, targetIndex: targetIndex, reachable: reach.sorted(),
                             warnings: warnings, globalArguments: global.pairs)
        plan.namedContexts = options.namedContexts
        return plan
    }

    /// Resolves a stage reference: a name of an earlier stage, an index, or else an image.
    func reference(_ value: String, from stage: Stage, byName: [String: Int], count: Int, isFrom: Bool = false,
                   location: SourceLocation? = nil) throws(FrontendError) -> StageSource {
        let at = location ?? stage.location
        if isFrom && value.lowercased() == "scratch" { return .scratch }
        switch options.namedContexts[value] {
        case .image(let ref)?: return .image(ref)
        case .local?: return .context(value)
        case nil: break
        }
        if !isFrom, let n = Int(value), value.allSatisfy(\.isNumber) {
            guard n < count else {
                throw FrontendError(.missingStage, "invalid stage index \(n): the Dockerfile has \(count) stage\(count == 1 ? "" : "s") (0 to \(count - 1))", at: at)
            }
            guard n < stage.index else {
                throw FrontendError(.missingStage, "stage \(n) is used before it is defined (stages can only use earlier stages)", at: at)
            }
            return .stage(n)
        }
        if let i = byName[value.lowercased()] {
            guard i < stage.index else {
                let what = i == stage.index ? "refers to itself" : "is used before it is defined"
                throw FrontendError(.missingStage, "stage \(GoQuote.quote(value)) \(what)", at: at)
            }
            return .stage(i)
        }
        return .image(value)
    }

    func expand(_ word: String, in env: OrderedEnvironment, at location: SourceLocation, lexer: ShellLexer = ShellLexer()) throws(FrontendError) -> String {
        do {
            return try lexer.expandWord(word, environment: env.shellEnvironment)
        } catch {
            throw FrontendError(.expansion, "failed to process \(GoQuote.quote(word)): \(error.description)", at: location)
        }
    }

    private func firstLocation(of decl: ArgDeclaration, in dockerfile: Dockerfile) -> SourceLocation {
        for node in dockerfile.ast.nodes where node.keyword == "arg" && node.words.contains(where: { $0 == decl.name || $0.hasPrefix(decl.name + "=") }) {
            return SourceLocation(file: dockerfile.fileName, line: node.startLine, column: node.column)
        }
        return SourceLocation(file: dockerfile.fileName, line: 1)
    }
}

/// The mutable state of a stage while its instructions are walked.
struct StageState: Sendable, Equatable {
    var environment: OrderedEnvironment
    var arguments = OrderedEnvironment([])
    var workdir = "/"
    var user: String?
    var shell = ["/bin/sh", "-c"]
    /// ENV names whose value RUN takes from a later ARG.
    var argumentsOverEnvironment: Set<String> = []

    /// What words are expanded against: ARGs, then ENV overriding them (as BuildKit documents).
    var expansionEnvironment: OrderedEnvironment {
        var e = arguments
        for (k, v) in environment.entries { e.set(k, v) }
        return e
    }
}

/// Ordered variables where a later `set` replaces the value but keeps the first position; a name
/// may be declared without a value (an `ARG` with no default and no build-arg).
struct OrderedEnvironment: Sendable, Equatable {
    private(set) var entries: [(String, String)] = []
    private var declaredOnly: Set<String> = []

    init(_ pairs: [(String, String)]) {
        for (k, v) in pairs { set(k, v) }
    }

    static func == (a: OrderedEnvironment, b: OrderedEnvironment) -> Bool {
        a.entries.elementsEqual(b.entries, by: { $0 == $1 }) && a.declaredOnly == b.declaredOnly
    }

    mutating func set(_ key: String, _ value: String) {
        declaredOnly.remove(key)
        if let i = entries.firstIndex(where: { $0.0 == key }) { entries[i].1 = value } else { entries.append((key, value)) }
    }

    mutating func declare(_ key: String) {
        if !entries.contains(where: { $0.0 == key }) { declaredOnly.insert(key) }
    }

    func value(_ key: String) -> String? { entries.first { $0.0 == key }?.1 }
    func isDeclared(_ key: String) -> Bool { declaredOnly.contains(key) || value(key) != nil }

    var pairs: [KeyValuePair] { entries.map { KeyValuePair(key: $0.0, value: $0.1) } }
    var shellEnvironment: ShellEnvironment { ShellEnvironment(entries) }
}
