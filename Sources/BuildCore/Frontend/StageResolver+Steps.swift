import Foundation

extension StageResolver {
    /// Expands one instruction against the stage state and applies its effect on that state.
    func resolveStep(_ located: LocatedInstruction, index: Int, state: inout StageState, global: OrderedEnvironment,
                     stage: Stage, byName: [String: Int], count: Int,
                     consumed: inout Set<String>) throws(FrontendError) -> ResolvedStep {
        let at = located.location
        func x(_ word: String) throws(FrontendError) -> String {
            try expand(word, in: state.expansionEnvironment, at: at)
        }
        var instruction = located.instruction
        var sources: [StageSource] = []
        // The step sees the state before its own effect (ENV/ARG apply to later steps).
        let before = state
        switch located.instruction {
        case .arg(let decls):
            var expanded: [ArgDeclaration] = []
            for decl in decls {
                var value: String?
                if let given = options.buildArgs[decl.name] {
                    value = given
                    consumed.insert(decl.name)
                } else if let d = decl.defaultValue {
                    value = try x(d)
                } else if let g = global.value(decl.name) {
                    value = g
                }
                expanded.append(ArgDeclaration(name: decl.name, defaultValue: value))
                if let value {
                    state.arguments.set(decl.name, value)
                    if state.environment.value(decl.name) != nil { state.argumentsOverEnvironment.insert(decl.name) }
                } else {
                    state.arguments.declare(decl.name)
                }
            }
            instruction = .arg(expanded)
        case .env(let pairs):
            var out: [KeyValuePair] = []
            for p in pairs {
                let kv = KeyValuePair(key: try x(p.key), value: try x(p.value))
                out.append(kv)
            }
            for kv in out {
                state.environment.set(kv.key, kv.value)
                state.argumentsOverEnvironment.remove(kv.key)
            }
            instruction = .env(out)
        case .label(let pairs):
            var out: [KeyValuePair] = []
            for p in pairs { out.append(KeyValuePair(key: try x(p.key), value: try x(p.value))) }
            instruction = .label(out)
        case .workdir(let dir):
            let expanded = try x(dir)
            state.workdir = Self.join(state.workdir, expanded)
            // The config keeps an absolute WORKDIR as written (`//a//b`), as BuildKit does.
            instruction = .workdir(expanded.hasPrefix("/") ? expanded : state.workdir)
        case .user(let u):
            let expanded = try x(u)
            state.user = expanded
            instruction = .user(expanded)
        case .shell(let s):
            state.shell = s
        case .expose(let ports):
            var out: [String] = []
            for p in ports {
                let word = try x(p)
                guard ImageConfigBuilder.exposedPorts(word) != nil else {
                    let spec = word.split(separator: "/", maxSplits: 1).first.map(String.init) ?? word
                    throw FrontendError(.invalidArgument, "Invalid containerPort: \(spec)", at: at)
                }
                out.append(word)
            }
            instruction = .expose(out)
        case .volume(let vols):
            var out: [String] = []
            for v in vols { out.append(try x(v)) }
            instruction = .volume(out)
        case .stopSignal(let s):
            instruction = .stopSignal(try x(s))
        case .copy(var c):
            var srcs: [String] = []
            for s in c.sources {
                // Heredoc sources (`<<EOF`) are names, not paths: keep them as written.
                if s.hasPrefix("<<") && located.heredocs.contains(where: { s.hasSuffix($0.name) }) { srcs.append(s) } else { srcs.append(try x(s)) }
            }
            c.sources = srcs
            c.destination = try x(c.destination)
            if let chown = c.chown { c.chown = try x(chown) }
            if let chmod = c.chmod {
                c.chmod = try x(chmod)
                if let v = c.chmod, !InstructionParser.isValidChmod(v) || v.hasPrefix("$") {
                    throw FrontendError(.invalidFlag, "invalid chmod parameter: \(v). it should be octal string and between 0 and 07777", at: at)
                }
            }
            var ex: [String] = []
            for e in c.excludes { ex.append(try x(e)) }
            c.excludes = ex
            if let from = c.from {
                let expanded = try x(from)
                c.from = expanded
                sources.append(try reference(expanded, from: stage, byName: byName, count: count, location: at))
            }
            instruction = .copy(c)
        case .run(var r):
            var mounts: [MountSpec] = []
            for var m in r.mounts {
                if let v = m.from { m.from = try x(v) }
                if let v = m.source { m.source = try x(v) }
                let mountsOverFiles = m.kind == .bind || m.kind == .cache || m.kind == .tmpfs
                if let v = m.target {
                    m.target = Self.join(state.workdir, try x(v))
                } else if mountsOverFiles {
                    // BuildKit mounts a mount without a target at the working directory.
                    m.target = state.workdir
                    if m.kind == .cache && (m.id ?? "").isEmpty { m.id = state.workdir }
                }
                if mountsOverFiles && m.target == "/" {
                    throw FrontendError(.invalidMount, "invalid mount target \"/\"", at: at)
                }
                if let v = m.id { m.id = try x(v) }
                if let v = m.env { m.env = try x(v) }
                if let from = m.from, !from.isEmpty {
                    sources.append(try reference(from, from: stage, byName: byName, count: count, location: at))
                }
                mounts.append(m)
            }
            r.mounts = mounts
            instruction = .run(r)
        case .cmd, .entrypoint, .healthcheck, .onbuild, .maintainer:
            break
        }
        return ResolvedStep(instruction: instruction, location: at, text: located.text, heredocs: located.heredocs,
                            environment: before.environment.pairs, arguments: before.arguments.pairs,
                            workdir: before.workdir, user: before.user, shell: before.shell,
                            sources: sources, indexInStage: index, argumentsOverEnvironment: before.argumentsOverEnvironment)
    }

    /// `path.Join(cwd, dir)` for relative paths, cleaned; absolute paths cleaned as they are.
    static func join(_ base: String, _ path: String) -> String {
        let combined = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in combined.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
