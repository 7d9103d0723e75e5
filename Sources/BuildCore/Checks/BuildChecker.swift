import Foundation

/// BuildKit's Dockerfile build checks (`docker build --check`). The walk follows BuildKit's
/// frontend step by step — parse, stage names, casing, default ARGs in FROM, FROM expansion,
/// target reachability, then each reachable instruction — because where and in which order a rule
/// fires, and which error stops the walk, is what users compare against BuildKit.
public struct BuildChecker: Sendable {
    public var options: CheckOptions

    public init(options: CheckOptions = CheckOptions()) {
        self.options = options
    }

    /// BuildKit's default PATH, set in every stage whose base does not define one.
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    static let reservedStageNames: Set<String> = ["context", "scratch"]

    /// Checks Dockerfile text. Never throws: a Dockerfile BuildKit would refuse gives a report
    /// with the warnings found before the error and the error's message.
    public func check(_ text: String, fileName: String = "Dockerfile") -> CheckReport {
        var walk = CheckWalk(options: options, fileName: fileName)
        walk.run(text)
        return walk.report
    }
}

/// One stage as the checks see it (BuildKit's dispatch state, reduced to what the rules read).
struct CheckStage {
    var node: SyntaxNode
    var name: String?
    var base: String
    var platform: String?
    var commands: [(node: SyntaxNode, instruction: Instruction)] = []
    var config = CheckConfig()
    /// Filled while resolving.
    var resolvedBase = ""
    var baseStage: Int?
    var dependencies: [Int] = []
    var platformValue: Platform?
}

/// An error that stops the walk, with the line it points at.
struct CheckStop: Error {
    var message: String
    var line: Int?
}

struct CheckWalk {
    let options: CheckOptions
    let fileName: String
    var report = CheckReport()
    var lexer = ShellLexer()

    init(options: CheckOptions, fileName: String) {
        self.options = options
        self.fileName = fileName
    }

    mutating func warn(_ rule: CheckRule, _ config: CheckConfig, _ detail: String, lines: (Int, Int)) {
        guard config.allows(rule) else { return }
        report.warnings.append(CheckWarning(rule: rule, detail: detail, startLine: lines.0, endLine: lines.1))
    }

    mutating func run(_ text: String) {
        do {
            try walk(text)
        } catch let stop as CheckStop {
            report.error = stop.message
            report.errorLine = stop.line
        } catch {
            report.error = "\(error)"
        }
    }

    static func lines(_ node: SyntaxNode) -> (Int, Int) { (node.startLine, node.endLine) }

    mutating func walk(_ text: String) throws {
        let ast: DockerfileAST
        do {
            ast = try DockerfileParser.parse(text, fileName: fileName)
        } catch {
            throw CheckStop(message: error.message, line: error.location?.line)
        }
        lexer = ShellLexer(escapeToken: ast.escapeToken)
        // The build-arg replaces the directive; neither may be malformed.
        let source = options.buildArgs[CheckConfig.buildArgName]
            ?? ast.directive("check").map { $0.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "" } ?? ""
        do {
            report.config = try CheckConfig.parse(source)
        } catch {
            throw CheckStop(message: "failed to parse check options: \(error.description)", line: nil)
        }
        let top = report.config
        for w in ast.warnings {
            let end = w.endLine ?? w.line
            warn(.noEmptyContinuation, top, "Empty continuation line", lines: (end, end))
        }
        var (globals, stages) = try parseStages(ast, top: top)
        validateStageNames(stages, top)
        validateCasing(stages, top)
        try resolve(&stages, globals: &globals, top: top)
        if top.failOnWarning && !report.warnings.isEmpty {
            let rules = Set(report.warnings.map(\.rule.name)).sorted()
            throw CheckStop(message: "lint violation found for rules: \(rules.joined(separator: ", "))", line: nil)
        }
    }
}

extension BuildChecker {
    /// The base images the FROM lines name once expanded (stage names and scratch left out), so
    /// a caller can look up their configs before checking.
    public func baseImageNames(_ text: String) -> [String] {
        guard let ast = try? DockerfileParser.parse(text) else { return [] }
        let walk = CheckWalk(options: options, fileName: "Dockerfile")
        var globals: [(ArgDeclaration, SyntaxNode)] = []
        var names: [String] = []
        var stageNames: Set<String> = []
        let parser = InstructionParser()
        for node in ast.nodes {
            if node.keyword == "from", let from = try? parser.parseFrom(node) {
                if let env = try? walk.metaArgs(globals, defaultsOnly: false),
                   let base = try? ShellLexer(escapeToken: ast.escapeToken).expandWord(from.base, environment: env.shellEnvironment),
                   !stageNames.contains(base), base.lowercased() != "scratch", !names.contains(base) {
                    names.append(base)
                }
                if let name = from.name { stageNames.insert(name) }
            } else if stageNames.isEmpty, names.isEmpty, node.keyword == "arg", case .arg(let decls)? = try? parser.parse(node).instruction {
                globals += decls.map { ($0, node) }
            }
        }
        return names
    }
}
