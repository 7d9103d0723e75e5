import Foundation

/// FROM lines: default ARGs, expansion with the global ARGs, platforms, the target and what it
/// reaches, base images; then each stage's instructions.
extension CheckWalk {
    var platformArgs: [(String, String)] {
        let target = options.target ?? ""
        return [("BUILDPLATFORM", options.buildPlatform.description), ("BUILDOS", options.buildPlatform.os),
                ("BUILDOSVERSION", ""), ("BUILDARCH", options.buildPlatform.architecture),
                ("BUILDVARIANT", options.buildPlatform.variant ?? ""),
                ("TARGETPLATFORM", options.targetPlatform.description), ("TARGETOS", options.targetPlatform.os),
                ("TARGETOSVERSION", ""), ("TARGETARCH", options.targetPlatform.architecture),
                ("TARGETVARIANT", options.targetPlatform.variant ?? ""), ("TARGETSTAGE", target.isEmpty ? "default" : target)]
            .map { ($0.0, options.buildArgs[$0.0] ?? $0.1) }
    }

    /// The global ARGs in order, with build-args (or, for `defaultsOnly`, without them).
    func metaArgs(_ globals: [(ArgDeclaration, SyntaxNode)], defaultsOnly: Bool) throws -> OrderedEnvironment {
        var env = OrderedEnvironment(platformArgs)
        for (decl, node) in globals {
            if !defaultsOnly, let given = options.buildArgs[decl.name] {
                env.set(decl.name, given)
            } else if let value = decl.defaultValue {
                do {
                    env.set(decl.name, try lexer.expandWord(value, environment: env.shellEnvironment))
                } catch {
                    throw CheckStop(message: "failed to process \(GoQuote.quote(value)): \(error.description)", line: node.startLine)
                }
            }
        }
        return env
    }

    mutating func resolve(_ stages: inout [CheckStage], globals: inout [(ArgDeclaration, SyntaxNode)], top: CheckConfig) throws {
        // Base names must stay valid when no build-arg is given.
        if let defaults = try? metaArgs(globals, defaultsOnly: true) {
            for stage in stages {
                guard let expanded = try? lexer.expand(stage.base, environment: defaults.shellEnvironment) else { break }
                if (try? RegistryReference(parsing: expanded.result)) == nil || expanded.result.trimmingCharacters(in: .whitespaces) != expanded.result {
                    warn(.invalidDefaultArgInFrom, top, "Default value for ARG \(stage.base) results in empty or invalid base image name",
                         lines: Self.lines(stage.node))
                }
            }
        }
        let global = try metaArgs(globals, defaultsOnly: false)
        let declared = Set(globals.map(\.0.name)).union(global.entries.map(\.0))
        var byName: [String: Int] = [:]
        for i in stages.indices {
            let stage = stages[i]
            let config = stage.config
            let lines = Self.lines(stage.node)
            let base = try expandFrom(stage.base, global: global, declared: declared, config: config, stage: stage)
            guard !base.result.isEmpty else {
                throw CheckStop(message: "base name (\(stage.base)) should not be blank", line: stage.node.startLine)
            }
            stages[i].resolvedBase = base.result
            if let platform = stage.platform {
                let p = try expandFrom(platform, global: global, declared: declared, config: config, stage: stage)
                if p.matched.count == 1, p.unmatched.isEmpty, p.matched.contains("TARGETPLATFORM"),
                   p.result == global.value("TARGETPLATFORM") {
                    warn(.redundantTargetPlatform, config,
                         "Setting platform to predefined \(platform) in FROM is redundant as this is the default behavior", lines: lines)
                }
                if p.matched.isEmpty, p.unmatched.isEmpty, let parsed = Platform(parsing: p.result),
                   !(stage.name ?? "").contains(parsed.os), !(stage.name ?? "").contains(parsed.architecture) {
                    warn(.fromPlatformFlagConstDisallowed, config,
                         "FROM --platform flag should not use constant value \(GoQuote.quote(p.result))", lines: lines)
                }
                if p.result.isEmpty {
                    var message = "empty platform value from expression \(platform)"
                    if let hint = p.unmatched.sorted().lazy.compactMap({ CheckSuggestion.search($0, among: global.entries.map(\.0)) }).first {
                        message += " (did you mean \(hint)?)"
                    }
                    throw CheckStop(message: message, line: stage.node.startLine)
                }
                guard let parsed = Platform(parsing: p.result) else {
                    throw CheckStop(message: "failed to parse platform \(platform)", line: stage.node.startLine)
                }
                stages[i].platformValue = parsed
            }
            if let earlier = byName[base.result] { stages[i].baseStage = earlier }
            if let name = stage.name { byName[name] = i }
        }
        let targetIndex: Int
        if let target = options.target {
            guard let i = byName[target.lowercased()] else {
                throw CheckStop(message: "target stage \(GoQuote.quote(target)) could not be found", line: nil)
            }
            targetIndex = i
        } else {
            targetIndex = stages.count - 1
        }
        for i in stages.indices {
            var deps: [Int] = stages[i].baseStage.map { [$0] } ?? []
            for (_, instruction) in stages[i].commands {
                for from in Self.stageReferences(instruction) {
                    if let n = Int(from), from.allSatisfy(\.isNumber), n < stages.count { deps.append(n) }
                    if let n = byName[from.lowercased()] { deps.append(n) }
                }
            }
            stages[i].dependencies = deps
        }
        var reach: Set<Int> = [targetIndex]
        var queue = [targetIndex]
        while let i = queue.popLast() {
            for d in stages[i].dependencies where !reach.contains(d) {
                reach.insert(d)
                queue.append(d)
            }
        }
        // Base images: their platform is checked for the stages that are built.
        for i in stages.indices where stages[i].baseStage == nil && stages[i].resolvedBase.lowercased() != "scratch" {
            guard reach.contains(i) || options.allStages else { continue }
            let expected = stages[i].platformValue ?? options.targetPlatform
            if reach.contains(i), let actual = options.baseImages[stages[i].resolvedBase]?.platform,
               actual.os != expected.os || actual.architecture != expected.architecture {
                warn(.invalidBaseImagePlatform, top,
                     "Base image \(stages[i].base) was pulled with platform \(GoQuote.quote(actual.description)), expected \(GoQuote.quote(expected.description)) for current build",
                     lines: Self.lines(stages[i].node))
            }
        }
        var finals: [Int: StageScope] = [:]
        for i in stages.indices where options.allStages || reach.contains(i) {
            var scope: StageScope
            if let b = stages[i].baseStage, let inherited = finals[b] {
                scope = inherited
                scope.resetPerStage()
            } else {
                let facts = options.baseImages[stages[i].resolvedBase]
                scope = StageScope(environment: OrderedEnvironment(facts?.environment.map { ($0.key, $0.value) } ?? []))
                scope.shell = facts?.shell ?? []
            }
            if scope.environment.value("PATH") == nil { scope.environment.set("PATH", BuildChecker.defaultPath) }
            for (node, instruction) in stages[i].commands {
                try dispatch(instruction, node: node, scope: &scope, global: global, config: top.merged(withComments: node.comments))
            }
            finals[i] = scope
        }
    }

    /// Expands a FROM word against the global ARGs; a variable that no ARG declares is
    /// UndefinedArgInFrom (with BuildKit's case-sensitive suggestion).
    mutating func expandFrom(_ word: String, global: OrderedEnvironment, declared: Set<String>, config: CheckConfig,
                             stage: CheckStage) throws -> ShellExpansion {
        let expansion: ShellExpansion
        do {
            expansion = try lexer.expand(word, environment: global.shellEnvironment)
        } catch {
            throw CheckStop(message: "failed to process \(GoQuote.quote(word)): \(error.description)", line: stage.node.startLine)
        }
        for name in expansion.unmatched.sorted() where !declared.contains(name) {
            var detail = "FROM argument '\(name)' is not declared"
            if let hint = CheckSuggestion.search(name, among: declared.sorted()) { detail += " (did you mean \(hint)?)" }
            warn(.undefinedArgInFrom, config, detail, lines: Self.lines(stage.node))
        }
        return expansion
    }

    /// Stages an instruction reads from: `COPY --from` and `RUN --mount from=`.
    static func stageReferences(_ instruction: Instruction) -> [String] {
        switch instruction {
        case .copy(let c): return c.from.map { [$0] } ?? []
        case .run(let r): return r.mounts.compactMap(\.from)
        default: return []
        }
    }
}

/// A stage's state while its instructions are checked: what BuildKit's dispatch state holds
/// that a rule reads.
struct StageScope {
    var environment: OrderedEnvironment
    var shell: [String] = []
    var workdirSet = false
    /// ARG names declared in the stage (with or without a value).
    var declaredArgs: Set<String> = []
    /// Where CMD, ENTRYPOINT and HEALTHCHECK were last set in this stage.
    var lastSet: [String: (Int, Int)] = [:]

    /// A stage built on another inherits its state but not the once-per-stage trackers.
    mutating func resetPerStage() {
        lastSet = [:]
    }
}

/// BuildKit's `suggest.Search`: the closest name within an edit distance under 3, none for an
/// exact match.
enum CheckSuggestion {
    static func search(_ value: String, among options: [String], caseSensitive: Bool = true) -> String? {
        let v = caseSensitive ? value : value.lowercased()
        var best: String?
        var bestDistance = 3
        for option in options {
            let o = caseSensitive ? option : option.lowercased()
            if o == v { return nil }
            let d = levenshtein(Array(v.unicodeScalars), Array(o.unicodeScalars))
            if d < bestDistance {
                bestDistance = d
                best = option
            }
        }
        return best
    }

    static func levenshtein(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
