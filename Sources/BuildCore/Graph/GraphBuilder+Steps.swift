import Foundation

extension Lowering {
    /// RUN: an exec vertex over the stage's filesystem plus one input per mount that reads one.
    mutating func lowerRun(_ run: RunInstruction, step: ResolvedStep, stage: ResolvedStage, base: Digest?,
                           name: String, _ graph: inout BuildGraph) throws(FrontendError) -> Digest {
        var inputs: [Digest] = base.map { [$0] } ?? []
        var mounts: [ExecMount] = []
        for m in run.mounts {
            var input: Int?
            if m.kind == .bind || (m.kind == .cache && m.from != nil) {
                let source: Digest?
                if let from = m.from, !from.isEmpty {
                    let ref = try resolveSource(from, step: step, stage: stage)
                    source = state(of: ref, platform: stage.platform, &graph)
                } else if m.kind == .bind {
                    source = contextSource(&graph)
                } else {
                    source = nil
                }
                if let source {
                    if let existing = inputs.firstIndex(of: source) { input = existing } else {
                        inputs.append(source)
                        input = inputs.count - 1
                    }
                }
            }
            mounts.append(ExecMount(spec: m, input: input))
        }
        let exec = ExecOp(hasRoot: base != nil, args: commandArgs(run.command, step: step), env: environment(for: step),
                          cwd: step.workdir, user: step.user ?? "", network: run.network, security: run.security,
                          mounts: mounts)
        return graph.add(.exec(exec), inputs: inputs, name: name, stage: stage.stage.displayName, location: step.location)
    }

    /// Shell form runs through SHELL; a RUN whose whole command is one heredoc runs its body.
    func commandArgs(_ command: CommandLine, step: ResolvedStep) -> [String] {
        guard command.isShellForm else { return command.arguments }
        let line = command.arguments.joined(separator: " ")
        if step.heredocs.count == 1, let doc = step.heredocs.first,
           (try? HeredocScanner.heredoc(fromWord: line.trimmingCharacters(in: .whitespaces))) != nil {
            return step.shell + [doc.chomp ? Self.chompTabs(doc.content) : doc.content]
        }
        if !step.heredocs.isEmpty {
            // Several heredocs, or one inside a longer command: the shell reads them itself.
            var script = line + "\n"
            for doc in step.heredocs { script += doc.content + doc.name + "\n" }
            return step.shell + [script]
        }
        return step.shell + [line]
    }

    static func chompTabs(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.drop { $0 == "\t" } }.joined(separator: "\n")
    }

    /// The process environment: ENV (base image's and the stage's), then ARGs not shadowed by ENV,
    /// and a default PATH when none is set, as BuildKit does.
    func environment(for step: ResolvedStep) -> [String] {
        let overriding = Dictionary(step.arguments.filter { step.argumentsOverEnvironment.contains($0.key) }.map { ($0.key, $0.value) },
                                    uniquingKeysWith: { _, last in last })
        var env = step.environment.map { "\($0.key)=\(overriding[$0.key] ?? $0.value)" }
        let envKeys = Set(step.environment.map(\.key))
        for arg in step.arguments where !envKeys.contains(arg.key) {
            env.append("\(arg.key)=\(arg.value)")
        }
        if !envKeys.contains("PATH") && !step.arguments.contains(where: { $0.key == "PATH" }) {
            env.insert(GraphBuilder.defaultPath, at: 0)
        }
        return env
    }

    func resolveSource(_ value: String, step: ResolvedStep, stage: ResolvedStage) throws(FrontendError) -> StageSource {
        try StageResolver(options: FrontendOptions(namedContexts: plan.namedContexts)).reference(
            value, from: stage.stage, byName: Dictionary(plan.stages.compactMap { s in s.stage.name.map { ($0, s.stage.index) } },
                                                         uniquingKeysWith: { a, _ in a }),
            count: plan.stages.count, location: step.location)
    }

    /// COPY/ADD: a file vertex copying from the context, a stage, an image, a URL or a heredoc.
    /// With `--link` the files are copied onto an empty filesystem and merged over the stage.
    mutating func lowerCopy(_ copy: CopyInstruction, step: ResolvedStep, stage: ResolvedStage, base: Digest?,
                            name: String, _ graph: inout BuildGraph) throws(FrontendError) -> Digest {
        let linked = copy.link
        var inputs: [Digest] = []
        if !linked, let base { inputs.append(base) }
        let hasBase = !linked && base != nil
        var actions: [FileAction] = []
        let destination = Self.destination(copy.destination, workdir: step.workdir)
        func inputIndex(_ d: Digest) -> Int {
            if let i = inputs.firstIndex(of: d) { return i }
            inputs.append(d)
            return inputs.count - 1
        }
        for source in copy.sources {
            if source.hasPrefix("<<"), let doc = step.heredocs.first(where: { source.hasSuffix($0.name) }) {
                var content = doc.chomp ? Self.chompTabs(doc.content) : doc.content
                if doc.expand {
                    var lexer = ShellLexer()
                    lexer.skipProcessQuotes = true
                    let env = ShellEnvironment(step.arguments.map { ($0.key, $0.value) } + step.environment.map { ($0.key, $0.value) })
                    content = (try? lexer.expandWord(content, environment: env)) ?? content
                }
                let path = destination.hasSuffix("/") ? destination + doc.name : destination
                let mode = copy.chmod.flatMap { UInt32($0, radix: 8) } ?? 0o644
                actions.append(.mkfile(path: path, mode: mode, contentDigest: .sha256(content), content: content, owner: copy.chown))
                continue
            }
            var action = CopyAction(input: 0, source: source, destination: destination, owner: copy.chown, mode: copy.chmod)
            action.allowEmptyWildcard = true   // dockerfile2llb copies with AllowEmptyWildcard
            action.parents = copy.parents
            action.excludes = copy.excludes
            if copy.isAdd, let url = URLSource(source) {
                let d = graph.add(.source(.http(url: source, checksum: copy.checksum, filename: url.filename)), inputs: [],
                                  name: "[internal] fetch \(source)", stage: stage.stage.displayName, location: step.location)
                action.input = inputIndex(d)
                action.source = "/" + url.filename
                action.allowWildcard = false
                action.checksum = copy.checksum
            } else if let from = copy.from {
                let ref = try resolveSource(from, step: step, stage: stage)
                if let d = state(of: ref, platform: stage.platform, &graph) {
                    action.input = inputIndex(d)
                } else {
                    // Copying from an empty stage: nothing can match.
                    action.input = -1
                }
            } else {
                action.input = inputIndex(contextSource(&graph))
                action.attemptUnpack = copy.isAdd && (copy.unpack ?? true)
            }
            actions.append(.copy(action))
        }
        let file = graph.add(.file(FileOp(hasBase: hasBase, actions: actions)), inputs: inputs, name: name,
                             stage: stage.stage.displayName, location: step.location)
        guard linked, let base else { return file }
        return graph.add(.merge, inputs: [base, file], name: name + " (link)", stage: stage.stage.displayName,
                         location: step.location)
    }

    /// The destination made absolute against WORKDIR, keeping a trailing `/` (it means "into").
    static func destination(_ dest: String, workdir: String) -> String {
        let trailing = dest.hasSuffix("/") || dest == "." || dest.hasSuffix("/.")
        let joined = StageResolver.join(workdir, dest)
        return trailing && joined != "/" ? joined + "/" : joined
    }
}

/// An ADD source that is an HTTP(S) URL, and the file name it is saved under.
struct URLSource {
    let filename: String

    init?(_ text: String) {
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), let url = URL(string: text) else { return nil }
        filename = Self.filename(decodedPath: url.path)
    }

    /// The last component of the URL's decoded path, as BuildKit's `path.Base`: `%2F` in the
    /// last segment splits it like any slash, so the name is always one plain component, never
    /// `..`, empty or with a NUL byte (then "index.html").
    static func filename(decodedPath: String) -> String {
        let last = decodedPath.split(separator: "/").last.map(String.init) ?? ""
        if last.isEmpty || last == "." || last == ".." || last.contains("\0") { return "index.html" }
        return last
    }
}
