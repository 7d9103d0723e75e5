import Foundation

/// The rules BuildKit runs while it turns syntax nodes into stages, before any variable is expanded.
extension CheckWalk {
    /// Splits the nodes into global ARGs and stages, running the per-instruction parse rules
    /// (MAINTAINER, FROM casing, definition comments) in file order, and stopping at the first
    /// instruction BuildKit would refuse — the warnings before it stand.
    mutating func parseStages(_ ast: DockerfileAST, top: CheckConfig) throws -> ([(ArgDeclaration, SyntaxNode)], [CheckStage]) {
        let parser = InstructionParser(fileName: fileName)
        var globals: [(ArgDeclaration, SyntaxNode)] = []
        var stages: [CheckStage] = []
        for node in ast.nodes {
            let config = top.merged(withComments: node.comments)
            let lines = Self.lines(node)
            do {
                switch node.keyword {
                case "maintainer":
                    warn(.maintainerDeprecated, config, "Maintainer instruction is deprecated in favor of using label", lines: lines)
                case "from":
                    let words = node.words
                    if words.count == 3, words[2] != words[2].lowercased() {
                        warn(.stageNameCasing, config, "Stage name '\(words[2])' should be lowercase", lines: lines)
                    }
                    if words.count >= 3, !Self.fromMatchesAs(node.writtenKeyword, words[1]) {
                        warn(.fromAsCasing, config, "'\(words[1])' and '\(node.writtenKeyword)' keywords' casing do not match", lines: lines)
                    }
                    let from = try parser.parseFrom(node)
                    if let name = from.name {
                        validateDescription("FROM", keys: [name], node: node, config: config)
                    }
                    var stage = CheckStage(node: node, name: from.name, base: from.base, platform: from.platform)
                    stage.config = top.merged(withComments: node.comments)
                    stages.append(stage)
                    continue
                default:
                    break
                }
                let instruction = try parser.parse(node).instruction
                if case .arg(let decls) = instruction {
                    validateDescription("ARG", keys: decls.map(\.name), node: node, config: config)
                }
                if stages.isEmpty {
                    guard case .arg(let decls) = instruction else {
                        throw CheckStop(message: "no build stage in current context", line: node.startLine)
                    }
                    globals += decls.map { ($0, node) }
                    continue
                }
                stages[stages.count - 1].commands.append((node, instruction))
            } catch let error as FrontendError {
                throw CheckStop(message: "dockerfile parse error on line \(node.startLine): \(error.message)", line: node.startLine)
            }
        }
        if stages.isEmpty {
            throw CheckStop(message: "dockerfile contains no stages to build", line: nil)
        }
        return (globals, stages)
    }

    /// `as` must follow `FROM`'s casing; a FROM of mixed case is ConsistentInstructionCasing's business.
    static func fromMatchesAs(_ from: String, _ asWord: String) -> Bool {
        if from == from.lowercased() { return asWord == asWord.lowercased() }
        if from == from.uppercased() { return asWord == asWord.uppercased() }
        return true
    }

    /// InvalidDefinitionDescription (experimental): the comment right above an ARG or a named
    /// FROM should start with the name it describes.
    mutating func validateDescription(_ instruction: String, keys: [String], node: SyntaxNode, config: CheckConfig) {
        guard let last = node.comments.last, !keys.isEmpty else { return }
        let first = last.split(separator: " ", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if keys.contains(first) { return }
        let example = keys.count > 1 ? "<arg_key>" : keys[0]
        warn(.invalidDefinitionDescription, config, "Comment for \(instruction) should follow the format: `# \(example) <description>`",
             lines: Self.lines(node))
    }

    mutating func validateStageNames(_ stages: [CheckStage], _ top: CheckConfig) {
        var seen: Set<String> = []
        for stage in stages {
            guard let name = stage.name else { continue }
            let lines = Self.lines(stage.node)
            if BuildChecker.reservedStageNames.contains(name) {
                warn(.reservedStageName, top, "Stage name should not use the same name as reserved stage \(GoQuote.quote(name))", lines: lines)
            }
            if seen.contains(name) {
                warn(.duplicateStageName, top, "Duplicate stage name \(GoQuote.quote(name)), stage names should be unique", lines: lines)
            }
            seen.insert(name)
        }
    }

    /// Every keyword written in one case counts for that case; the minority, and any keyword of
    /// mixed case, is reported. ARGs before the first FROM do not count (BuildKit keeps them apart).
    mutating func validateCasing(_ stages: [CheckStage], _ top: CheckConfig) {
        var lower = 0, upper = 0
        let keywords = stages.flatMap { [($0.node)] + $0.commands.map(\.node) }
        for node in keywords {
            let k = node.writtenKeyword
            if k == k.lowercased() { lower += 1 } else if k == k.uppercased() { upper += 1 }
        }
        let majorityLower = lower > upper
        for node in keywords {
            let k = node.writtenKeyword
            let casing: String? = majorityLower ? (k != k.lowercased() ? "lowercase" : nil) : (k != k.uppercased() ? "uppercase" : nil)
            if let casing {
                warn(.consistentInstructionCasing, top, "Command '\(k)' should match the case of the command majority (\(casing))",
                     lines: Self.lines(node))
            }
        }
    }
}
