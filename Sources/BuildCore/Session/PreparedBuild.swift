import Foundation

/// A build after its Dockerfile is understood and its context loaded: ready to solve.
struct PreparedBuild: Sendable {
    let plan: BuildPlan
    let graph: BuildGraph
    let contexts: [String: BuildContext]
    let solver: Solver
    let explainer: MissExplainer
    let images: RegistryImages
    let session: BuildSessionLock
    let snapshotter: Snapshotter
}

extension Build {
    /// Parses, resolves (with the base images' ENV), lowers, announces the plan, loads the context
    /// and sets up the solver with the real runtime.
    func prepare(text: String, events: AsyncStream<BuildEvent>.Continuation, gate: OutputGate? = nil) async throws -> PreparedBuild {
        var checks = checkOptions(allStages: false)
        var checked = false
        do {
            return try await prepareChecked(text: text, checks: &checks, checked: &checked, events: events, gate: gate)
        } catch let error as FrontendError where error.kind == .checkViolation {
            throw error
        } catch {
            // The checks that fire before the error are still reported, as BuildKit does.
            if !checked { emitChecks(BuildChecker(options: checks).check(text, fileName: PathText.lastComponent(of: request.dockerfilePath)), events: events) }
            throw error
        }
    }

    /// Reports build checks as warnings; `error=true` makes any of them fatal here, after the
    /// Dockerfile is understood and before anything runs (where BuildKit fails).
    func emitChecks(_ report: CheckReport, events: AsyncStream<BuildEvent>.Continuation) {
        for w in report.warnings { events.yield(BuildEvent(.warning(w.buildWarning(file: request.dockerfilePath)))) }
    }

    private func prepareChecked(text: String, checks: inout CheckOptions, checked: inout Bool, events: AsyncStream<BuildEvent>.Continuation,
                                gate: OutputGate?) async throws -> PreparedBuild {
        let dockerfile = try Dockerfile.parse(text, fileName: request.dockerfilePath)
        let client = RegistryClient(hosts: try RegistryHosts.load(path: request.registryConfig))
        let images = try RegistryImages(root: root, client: client, alwaysPull: request.pull, events: events)
        var options = FrontendOptions(buildArgs: request.buildArgs, target: request.target, targetPlatform: request.platform)
        var namedExcludes: [String: [String]] = [:]
        var namedIgnoreFiles: [String: String] = [:]
        for (name, value) in request.buildContexts {
            let named = try NamedContextSpec.resolve(name: name, value: value, store: images.store)
            options.namedContexts[name] = named
            if case .local(let dir) = named {
                let (patterns, file) = ContextWalker.ignorePatterns(context: dir, dockerfile: nil)
                namedExcludes[name] = patterns
                namedIgnoreFiles[name] = file
            }
        }
        // First pass to learn the base images, then resolve again with their ENV.
        let firstPlan = try StageResolver(options: options).resolve(dockerfile)
        // Every base image is located at once (a registry is asked in parallel), before the plan.
        let bases = try await withThrowingTaskGroup(of: (String, [KeyValuePair], BaseImageSetup).self) { group in
            for stage in firstPlan.stages {
                guard case .image(let ref) = stage.source else { continue }
                group.addTask {
                    let base = try await images.baseSetup(ref, platform: stage.platform)
                    return (ref, base.environment, base.setup)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (ref, environment, setup) in bases {
            options.baseImageEnvironment[ref] = environment
            options.baseImageSetup[ref] = setup
            checks.baseImages[ref] = BaseImageFacts(environment: environment, platform: setup.platform, shell: setup.shell)
        }
        let plan = try StageResolver(options: options).resolve(dockerfile)
        let report = BuildChecker(options: checks).check(text, fileName: PathText.lastComponent(of: request.dockerfilePath))
        emitChecks(report, events: events)
        checked = true
        if report.config.failOnWarning, !report.warnings.isEmpty {
            let rules = Set(report.warnings.map(\.rule.name)).sorted().joined(separator: ", ")
            throw FrontendError(.checkViolation, "lint violation found for rules: \(rules)")
        }
        try checkEntitlements(plan)
        for w in plan.warnings { events.yield(BuildEvent(.warning(BuildWarning(message: w, file: request.dockerfilePath)))) }
        let (patterns, ignoreFile) = ContextWalker.ignorePatterns(context: request.contextPath, dockerfile: request.dockerfilePath)
        let graph = try GraphBuilder(contextExcludes: patterns, namedContextExcludes: namedExcludes).build(plan)
        events.yield(BuildEvent(.plan(graph.vertices.map { v in
            PlannedVertex(digest: v.digest, name: v.name, inputs: v.inputs, stage: v.stage,
                          startLine: v.location?.line, endLine: v.location?.endLine)
        })))
        var contexts: [String: BuildContext] = [:]
        for case .source(.local(let localName, _)) in graph.vertices.map(\.op) {
            var directory = request.contextPath
            var (excludes, ignore) = (patterns, ignoreFile)
            if let name = GraphBuilder.contextName(ofLocal: localName) {
                guard case .local(let dir)? = options.namedContexts[name] else { continue }
                (directory, excludes, ignore) = (dir, namedExcludes[name] ?? [], namedIgnoreFiles[name])
            }
            contexts[localName] = try await BuildContext.load(root: directory, patterns: excludes, ignoreFile: ignore,
                                                              statCacheIn: root, jobs: max(2, request.jobs))
        }
        let session = try BuildSessionLock(root: root, id: buildID)
        let snapshotter = try Snapshotter(root: root, session: session)
        var argNames = Set(dockerfile.globalArgs.map(\.name))
        for stage in dockerfile.stages {
            for case .arg(let decls) in stage.instructions.map(\.instruction) { argNames.formUnion(decls.map(\.name)) }
        }
        let explainer = MissExplainer(root: root, dockerfilePath: request.dockerfilePath, target: request.target, argNames: argNames)
        let executor = RuncExecutor(runtime: request.runtime, stateDirectory: session.runtimeStateDirectory,
                                    bundleDirectory: session.bundleDirectory)
        var solveOptions = SolveOptions(noCache: request.noCache, noCacheStages: request.noCacheStages, jobs: request.jobs,
                                        secrets: request.secrets, sshAgents: request.sshAgents)
        solveOptions.outputGate = gate
        if !request.cacheFrom.isEmpty {
            solveOptions.remoteCache = await CacheImporter.load(request.cacheFrom, images: images) { message in
                events.yield(BuildEvent(.warning(BuildWarning(message: message))))
            }
        }
        let solver = Solver(graph: graph, plan: plan, contexts: contexts, executor: executor, images: images,
                            cache: CacheStore(root: root), snapshotter: snapshotter,
                            options: solveOptions,
                            explainer: explainer, events: events)
        return PreparedBuild(plan: plan, graph: graph, contexts: contexts, solver: solver, explainer: explainer, images: images,
                             session: session, snapshotter: snapshotter)
    }
}

extension Build {
    /// `RUN --security=insecure` and `RUN --network=host` need the user's explicit `--allow`, as
    /// with buildx; only the stages the target reaches are checked.
    func checkEntitlements(_ plan: BuildPlan) throws(FrontendError) {
        for i in plan.reachable {
            for step in plan.stages[i].steps {
                guard case .run(let run) = step.instruction else { continue }
                if run.security == .insecure && !request.allow.contains("security.insecure") {
                    throw FrontendError(.invalidFlag, "RUN --security=insecure is not allowed: pass --allow security.insecure", at: step.location)
                }
                if run.network == .host && !request.allow.contains("network.host") {
                    throw FrontendError(.invalidFlag, "RUN --network=host is not allowed: pass --allow network.host", at: step.location)
                }
            }
        }
    }
}

/// A failed step as the user sees it: the error, the Dockerfile excerpt, the end of the log.
struct FailureReport {
    let error: SolveError
    let source: String

    var text: String {
        var out = ""
        if let location = error.location {
            out += Diagnostic(location: location, message: error.message, source: source).description
        } else {
            out += error.message
        }
        if let name = error.name { out = "\(name):\n" + out }
        if !error.logTail.isEmpty {
            out += "\n--- last lines of output ---\n" + error.logTail.suffix(10).joined(separator: "\n")
        }
        return out
    }
}
