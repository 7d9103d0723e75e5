import Foundation

/// The rules BuildKit runs while it converts one instruction: variables are expanded against the
/// stage's environment (UndefinedVar), then the instruction's own rules.
extension CheckWalk {
    mutating func dispatch(_ instruction: Instruction, node: SyntaxNode, scope: inout StageScope, global: OrderedEnvironment,
                           config: CheckConfig) throws {
        let lines = Self.lines(node)
        let keyword = node.writtenKeyword
        switch instruction {
        case .env(let pairs):
            var expanded: [(String, String)] = []
            for p in pairs { expanded.append((try word(p.key, node, scope, config), try word(p.value, node, scope, config))) }
            for (index, (key, value)) in expanded.enumerated() {
                if Self.isLegacyPair(node, index) {
                    warn(.legacyKeyValueFormat, config, Self.legacyMessage(keyword), lines: lines)
                }
                checkSecret("ENV", key, config, lines)
                scope.environment.set(key, value)
            }
        case .label(let pairs):
            for (index, p) in pairs.enumerated() {
                _ = try word(p.key, node, scope, config)
                _ = try word(p.value, node, scope, config)
                if Self.isLegacyPair(node, index) {
                    warn(.legacyKeyValueFormat, config, Self.legacyMessage(keyword), lines: lines)
                }
            }
        case .arg(let decls):
            for decl in decls {
                checkSecret("ARG", decl.name, config, lines)
                var value: String?
                if let given = options.buildArgs[decl.name] {
                    value = given
                } else if let d = decl.defaultValue {
                    value = try word(d, node, scope, config)
                } else {
                    value = global.value(decl.name)
                }
                scope.declaredArgs.insert(decl.name)
                if let value { scope.environment.set(decl.name, value) }
            }
        case .cmd(let line), .entrypoint(let line):
            let name = instruction.keyword
            usedOnce(name, keyword: keyword, node: node, scope: &scope, config: config)
            if line.isShellForm && scope.shell.isEmpty {
                warn(.jsonArgsRecommended, config,
                     "JSON arguments recommended for \(keyword) to prevent unintended behavior related to OS signals", lines: lines)
            }
        case .healthcheck:
            usedOnce("HEALTHCHECK", keyword: keyword, node: node, scope: &scope, config: config)
        case .shell(let shell):
            scope.shell = shell
        case .workdir(let path):
            let expanded = try word(path, node, scope, config)
            if !scope.workdirSet && !expanded.hasPrefix("/") {
                warn(.workdirRelativePath, config,
                     "Relative workdir \(GoQuote.quote(expanded)) can have unexpected results if the base image changes", lines: lines)
            }
            scope.workdirSet = true
        case .user(let user):
            _ = try word(user, node, scope, config)
        case .volume(let volumes):
            for v in volumes { _ = try word(v, node, scope, config) }
        case .stopSignal(let signal):
            _ = try word(signal, node, scope, config)
        case .copy(let copy):
            if let chown = copy.chown { _ = try word(chown, node, scope, config) }
            if let chmod = copy.chmod { _ = try word(chmod, node, scope, config) }
            if let checksum = copy.checksum { _ = try word(checksum, node, scope, config) }
            let heredocNames = Set(node.heredocs.map(\.name))
            var sources: [String] = []
            for source in copy.sources {
                if source.hasPrefix("<<"), heredocNames.contains(Self.heredocName(source)) { continue }
                sources.append(try word(source, node, scope, config))
            }
            _ = try word(copy.destination, node, scope, config)
            if copy.from == nil {
                try checkIgnored(sources, isAdd: copy.isAdd, config: config, lines: lines)
            }
        case .expose(let ports):
            var expanded: [String] = []
            for p in ports {
                do {
                    expanded += try lexer.expandWords(p, environment: scope.environment.shellEnvironment)
                } catch {
                    throw CheckStop(message: "failed to process \(GoQuote.quote(p)): \(error.description)", line: node.startLine)
                }
            }
            for raw in expanded { try checkExpose(raw, config: config, lines: lines) }
        case .run, .onbuild, .maintainer:
            break
        }
    }

    /// Expands one word of an instruction; every variable it reads that is neither set nor a
    /// declared ARG is UndefinedVar (with a suggestion among the set names).
    mutating func word(_ text: String, _ node: SyntaxNode, _ scope: StageScope, _ config: CheckConfig) throws -> String {
        let expansion: ShellExpansion
        do {
            expansion = try lexer.expand(text, environment: scope.environment.shellEnvironment)
        } catch {
            throw CheckStop(message: "failed to process \(GoQuote.quote(text)): \(error.description)", line: node.startLine)
        }
        let known = scope.environment.entries.map(\.0)
        for name in expansion.unmatched.sorted() where !scope.declaredArgs.contains(name) && !Self.nonEnvArgs.contains(name) {
            var detail = "Usage of undefined variable '$\(name)'"
            if let hint = CheckSuggestion.search(name, among: known) { detail += " (did you mean $\(hint)?)" }
            warn(.undefinedVar, config, detail, lines: Self.lines(node))
        }
        return expansion.result
    }

    /// ARGs that never become environment variables.
    static let nonEnvArgs: Set<String> = ["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"]

    /// `ENV key value` (one pair, no `=`): the node's separator word is empty.
    static func isLegacyPair(_ node: SyntaxNode, _ index: Int) -> Bool {
        let words = node.words
        let sep = index * 3 + 2
        return sep < words.count && words[sep].isEmpty
    }

    static func legacyMessage(_ keyword: String) -> String {
        "\"\(keyword) key=value\" should be used instead of legacy \"\(keyword) key value\" format"
    }

    static func heredocName(_ source: String) -> String {
        var name = source.dropFirst(2)
        if name.hasPrefix("-") { name = name.dropFirst() }
        return name.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
    }

    /// CMD, ENTRYPOINT and HEALTHCHECK: a second one in a stage makes the first pointless, so
    /// the first (the one that is ignored) is reported.
    mutating func usedOnce(_ name: String, keyword: String, node: SyntaxNode, scope: inout StageScope, config: CheckConfig) {
        if let previous = scope.lastSet[name] {
            warn(.multipleInstructionsDisallowed, config,
                 "Multiple \(keyword) instructions should not be used in the same stage because only the last one will be used",
                 lines: previous)
        }
        scope.lastSet[name] = Self.lines(node)
    }
}
