import Foundation

/// Where a stage, a `COPY --from` or a `RUN --mount from=` takes its files from.
public enum StageSource: Sendable, Equatable, Hashable {
    case scratch
    case stage(Int)
    case image(String)
    /// A named local context (`--build-context NAME=DIR`), by name.
    case context(String)
}

/// What a `--build-context NAME=VALUE` gives the frontend: an image (from the local store, or
/// imported from an OCI layout and named by digest) or a local directory.
public enum NamedContext: Sendable, Equatable, Hashable {
    case image(String)
    case local(String)
}

/// What the frontend is asked to build: the build args, the target stage and the platforms.
public struct FrontendOptions: Sendable {
    public var buildArgs: [String: String]
    public var target: String?
    public var targetPlatform: Platform
    public var buildPlatform: Platform
    /// ENV of base images by reference, when the caller already knows their configs, so that
    /// `ENV PATH=$PATH:/x` sees the image's PATH as it does in BuildKit.
    public var baseImageEnvironment: [String: [KeyValuePair]]
    /// WORKDIR, USER and ONBUILD triggers of base images by reference: a child stage's steps run
    /// where and as whom the image says, after its triggers.
    public var baseImageSetup: [String: BaseImageSetup] = [:]
    /// `--build-context` by name. A name replaces, as BuildKit does, a `FROM`/`--from`
    /// reference to an image or to a stage of that name.
    public var namedContexts: [String: NamedContext]

    public init(buildArgs: [String: String] = [:], target: String? = nil,
                targetPlatform: Platform = .host, buildPlatform: Platform = .host,
                baseImageEnvironment: [String: [KeyValuePair]] = [:], namedContexts: [String: NamedContext] = [:]) {
        self.namedContexts = namedContexts
        self.buildArgs = buildArgs
        self.target = target
        self.targetPlatform = targetPlatform
        self.buildPlatform = buildPlatform
        self.baseImageEnvironment = baseImageEnvironment
    }
}

/// What a child stage takes from a base image's config besides its ENV.
public struct BaseImageSetup: Sendable, Equatable {
    public var workingDir: String
    public var user: String
    public var onBuild: [String]
    /// The platform of the image found (what InvalidBaseImagePlatform compares); nil if unknown.
    public var platform: Platform?
    public var shell: [String]

    public init(workingDir: String = "", user: String = "", onBuild: [String] = [], platform: Platform? = nil, shell: [String] = []) {
        self.workingDir = workingDir
        self.user = user
        self.onBuild = onBuild
        self.platform = platform
        self.shell = shell
    }
}

/// One instruction after expansion, with the state it runs in (env, args, workdir, user, shell).
public struct ResolvedStep: Sendable, Equatable {
    public var instruction: Instruction
    public var location: SourceLocation
    public var text: String
    public var heredocs: [Heredoc]
    /// ENV in effect (base image's, then the stage's), in declaration order.
    public var environment: [KeyValuePair]
    /// ARGs in scope with a value: RUN sees them as environment variables, and they are part of
    /// its cache key, as in BuildKit.
    public var arguments: [KeyValuePair]
    public var workdir: String
    public var user: String?
    public var shell: [String]
    /// For COPY --from: the resolved source. For RUN: one entry per mount with `from=`, in order.
    public var sources: [StageSource]
    /// `[stage i/n] INSTRUCTION` index within the stage, 1-based.
    public var indexInStage: Int
    /// ENV names an ARG declared later with a value: RUN sees the ARG's value (BuildKit sets both on
    /// the same state in order), the image config keeps the ENV's.
    public var argumentsOverEnvironment: Set<String> = []
}

/// A stage with its base resolved, its dependencies known and its steps expanded.
public struct ResolvedStage: Sendable, Equatable {
    public var stage: Stage
    /// The base after global ARG expansion (`golang:1.22`).
    public var baseResolved: String
    public var source: StageSource
    /// Stages and images this stage reads from, each once, in order of first use.
    public var dependsOn: [StageSource]
    public var steps: [ResolvedStep]
    public var platform: Platform
    /// The stage's state after its last instruction: what a stage built `FROM` this one inherits.
    var finalState = StageState(environment: OrderedEnvironment([]))

    /// ENV at the end of the stage: the image config's Env.
    public var finalEnvironment: [KeyValuePair] { finalState.environment.pairs }
    public var finalWorkdir: String { finalState.workdir }
    public var finalUser: String? { finalState.user }
    public var finalShell: [String] { finalState.shell }
}

/// The resolved Dockerfile: every stage resolved, the target chosen, and what it reaches.
public struct BuildPlan: Sendable, Equatable {
    public var dockerfile: Dockerfile
    public var stages: [ResolvedStage]
    public var targetIndex: Int
    /// Stage indexes the target reaches (itself included), ascending.
    public var reachable: [Int]
    public var warnings: [String]
    public var globalArguments: [KeyValuePair]
    /// The `--build-context`s the plan was resolved with.
    public var namedContexts: [String: NamedContext] = [:]

    /// `stage-N` or the stage's name, as BuildKit calls stages.
    public func name(of source: StageSource) -> String {
        switch source {
        case .scratch: "scratch"
        case .stage(let i): stages[i].stage.displayName
        case .image(let ref): ref
        case .context(let name): "context " + name
        }
    }
}
