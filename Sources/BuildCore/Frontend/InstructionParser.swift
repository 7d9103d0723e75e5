import Foundation

/// Gives each `SyntaxNode` its meaning: checks flags and arity with BuildKit's messages and builds
/// the typed `Instruction`. Errors carry the instruction's location.
public struct InstructionParser: Sendable {
    public var fileName: String

    public init(fileName: String = "Dockerfile") {
        self.fileName = fileName
    }

    static let keywords = ["add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label",
                           "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir"]

    func location(_ node: SyntaxNode, column: Int? = nil) -> SourceLocation {
        SourceLocation(file: fileName, line: node.startLine, column: column ?? node.column, endLine: node.endLine)
    }

    /// Column of a flag in the instruction's first line, for pointing at a bad flag.
    func column(ofFlag flag: String, in node: SyntaxNode) -> Int {
        let firstLine = node.original.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let name = flag.split(separator: "=", maxSplits: 1).first.map(String.init) ?? flag
        if let r = firstLine.range(of: name) {
            return node.column + firstLine.distance(from: firstLine.startIndex, to: r.lowerBound)
                - (firstLine.prefix { $0 == " " || $0 == "\t" }.count)
        }
        return node.column
    }

    func fail(_ kind: FrontendError.Kind, _ message: String, _ node: SyntaxNode, column: Int? = nil) -> FrontendError {
        FrontendError(kind, message, at: location(node, column: column))
    }

    /// The `FROM` line of a stage: image, optional `AS name`, optional `--platform`.
    func parseFrom(_ node: SyntaxNode) throws(FrontendError) -> (base: String, name: String?, platform: String?) {
        var flags = BuilderFlags([("platform", .string)])
        try withFlags(node) { () throws(ParseFailure) in try flags.parse(node.flags) }
        let args = node.words
        guard args.count == 1 || args.count == 3 else {
            throw fail(.invalidArgument, "FROM requires either one or three arguments", node)
        }
        var name: String?
        if args.count == 3 {
            guard args[1].lowercased() == "as" else {
                throw fail(.invalidArgument, "Third argument should be AS", node)
            }
            let stageName = args[2].lowercased()
            guard Self.isValidStageName(stageName) else {
                throw fail(.invalidArgument, "invalid name for build stage: \(GoQuote.quote(args[2])), name can't start with a number or contain symbols", node)
            }
            name = stageName
        }
        return (args[0], name, flags.string("platform"))
    }

    static func isValidStageName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    func withFlags(_ node: SyntaxNode, kind: FrontendError.Kind = .invalidFlag, _ body: () throws(ParseFailure) -> Void) throws(FrontendError) {
        do {
            try body()
        } catch {
            let bad = node.flags.first { flag in
                let name = flag.dropFirst(2).split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                return !name.isEmpty && error.message.contains(name)
            }
            throw fail(kind, error.message, node, column: bad.map { column(ofFlag: $0, in: node) })
        }
    }

    func requireNoFlags(_ node: SyntaxNode) throws(FrontendError) {
        var flags = BuilderFlags([])
        try withFlags(node) { () throws(ParseFailure) in try flags.parse(node.flags) }
    }

    /// Parses one instruction inside a stage (anything but FROM).
    public func parse(_ node: SyntaxNode) throws(FrontendError) -> LocatedInstruction {
        let instruction = try instruction(for: node)
        return LocatedInstruction(instruction: instruction, location: location(node), text: node.original.split(separator: "\n").first.map(String.init) ?? node.original, heredocs: node.heredocs)
    }

    func instruction(for node: SyntaxNode) throws(FrontendError) -> Instruction {
        let args = node.words
        let upper = node.keyword.uppercased()
        func atLeast(_ n: Int) throws(FrontendError) {
            if args.count < n {
                throw fail(.invalidArgument, "\(upper) requires at least \(n == 1 ? "one argument" : "\(n) arguments")", node)
            }
        }
        func exactly(_ n: Int) throws(FrontendError) {
            if args.count != n {
                throw fail(.invalidArgument, "\(upper) requires exactly \(n == 1 ? "one argument" : "\(n) arguments")", node)
            }
        }
        switch node.keyword {
        case "run":
            return .run(try parseRun(node))
        case "copy", "add":
            return .copy(try parseCopy(node))
        case "env", "label":
            try requireNoFlags(node)
            if args.isEmpty { throw fail(.invalidArgument, "\(upper) requires at least one argument", node) }
            if args.count % 3 != 0 { throw fail(.invalidArgument, "Bad input to \(upper), too many arguments", node) }
            var pairs: [KeyValuePair] = []
            for i in stride(from: 0, to: args.count, by: 3) {
                if node.keyword == "env" && args[i].isEmpty { throw fail(.invalidArgument, "ENV names can not be blank", node) }
                pairs.append(KeyValuePair(key: args[i], value: args[i + 1]))
            }
            return node.keyword == "env" ? .env(pairs) : .label(pairs)
        case "maintainer":
            try requireNoFlags(node)
            try exactly(1)
            return .maintainer(args[0])
        case "arg":
            try requireNoFlags(node)
            try atLeast(1)
            var decls: [ArgDeclaration] = []
            for word in args {
                if let eq = word.firstIndex(of: "=") {
                    let name = String(word[..<eq])
                    if name.isEmpty { throw fail(.invalidArgument, "ARG names can not be blank", node) }
                    decls.append(ArgDeclaration(name: name, defaultValue: String(word[word.index(after: eq)...])))
                } else {
                    decls.append(ArgDeclaration(name: word, defaultValue: nil))
                }
            }
            return .arg(decls)
        case "cmd", "entrypoint":
            try requireNoFlags(node)
            let cl = CommandLine(arguments: args, isShellForm: !node.isJSON)
            return node.keyword == "cmd" ? .cmd(cl) : .entrypoint(cl)
        case "shell":
            try requireNoFlags(node)
            guard node.isJSON else { throw fail(.invalidArgument, "SHELL requires the arguments to be in JSON form", node) }
            try atLeast(1)
            return .shell(args)
        case "workdir":
            try requireNoFlags(node)
            try exactly(1)
            return .workdir(args[0])
        case "user":
            try requireNoFlags(node)
            try exactly(1)
            return .user(args[0])
        case "expose":
            try requireNoFlags(node)
            try atLeast(1)
            return .expose(args)
        case "volume":
            try requireNoFlags(node)
            try atLeast(1)
            if args.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw fail(.invalidArgument, "VOLUME specified can not be an empty string", node)
            }
            return .volume(args)
        case "stopsignal":
            try requireNoFlags(node)
            try exactly(1)
            return .stopSignal(args[0])
        case "healthcheck":
            return .healthcheck(try parseHealthcheck(node))
        case "onbuild":
            try requireNoFlags(node)
            guard let inner = node.nested else { throw fail(.invalidArgument, "ONBUILD requires at least one argument", node) }
            switch inner.keyword {
            case "onbuild": throw fail(.invalidArgument, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", node)
            case "maintainer", "from": throw fail(.invalidArgument, "\(inner.keyword.uppercased()) isn't allowed as an ONBUILD trigger", node)
            default: break
            }
            var checked = inner
            checked.startLine = node.startLine
            checked.endLine = node.endLine
            _ = try instruction(for: checked)
            return .onbuild(inner.original)
        case "from":
            throw fail(.invalidArgument, "FROM starts a new stage and cannot be used here", node)
        default:
            var message = "unknown instruction: \(node.writtenKeyword.uppercased())"
            if let s = Suggestion.closest(to: node.keyword, among: Self.keywords) { message += " (did you mean \(s)?)" }
            throw fail(.unknownInstruction, message, node)
        }
    }
}
