import Foundation

/// A build stage: `FROM base [AS name]` and the instructions up to the next FROM.
public struct Stage: Sendable, Equatable {
    /// Lower-cased `AS` name, nil for an unnamed stage.
    public var name: String?
    /// The base as written (`${GO_IMAGE}`, `alpine:3.20`, `builder`, `scratch`).
    public var base: String
    public var platform: String?
    public var instructions: [LocatedInstruction]
    public var location: SourceLocation
    public var index: Int
    /// The FROM line as written, for step names.
    public var fromText: String

    /// `name`, or `stage-N` for an unnamed stage: how BuildKit refers to stages in messages.
    public var displayName: String { name ?? "stage-\(index)" }
}

/// A whole Dockerfile with meaning given: the ARGs before the first FROM and the stages.
public struct Dockerfile: Sendable, Equatable {
    public var fileName: String
    public var source: String
    public var ast: DockerfileAST
    /// ARG declarations before the first FROM (usable in FROM lines and re-declared in stages).
    public var globalArgs: [ArgDeclaration]
    public var stages: [Stage]

    /// Parses and checks the whole file: syntax, every instruction and flag, stage names.
    public static func parse(_ text: String, fileName: String = "Dockerfile") throws(FrontendError) -> Dockerfile {
        let ast = try DockerfileParser.parse(text, fileName: fileName)
        let parser = InstructionParser(fileName: fileName)
        var globalArgs: [ArgDeclaration] = []
        var stages: [Stage] = []
        var lineOfName: [String: Int] = [:]   // one lookup per FROM, whatever the stage count
        for node in ast.nodes {
            if node.keyword == "from" {
                let from = try parser.parseFrom(node)
                if let name = from.name {
                    if let line = lineOfName[name] {
                        throw FrontendError(.duplicateStage, "duplicate stage name \(GoQuote.quote(name)), first defined on line \(line)",
                                            at: parser.location(node))
                    }
                    lineOfName[name] = parser.location(node).line
                }
                stages.append(Stage(name: from.name, base: from.base, platform: from.platform, instructions: [],
                                    location: parser.location(node), index: stages.count, fromText: node.original))
                continue
            }
            let located = try parser.parse(node)
            if stages.isEmpty {
                guard case .arg(let decls) = located.instruction else {
                    throw FrontendError(.invalidArgument, "no build stage in current context", at: located.location)
                }
                globalArgs.append(contentsOf: decls)
                continue
            }
            stages[stages.count - 1].instructions.append(located)
        }
        if stages.isEmpty {
            throw FrontendError(.emptyFile, "the Dockerfile has no FROM instruction: nothing to build",
                                at: SourceLocation(file: fileName, line: max(1, ast.nodes.last?.startLine ?? 1)))
        }
        return Dockerfile(fileName: fileName, source: text, ast: ast, globalArgs: globalArgs, stages: stages)
    }
}
