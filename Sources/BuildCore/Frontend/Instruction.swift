import Foundation

/// A Dockerfile instruction with its meaning: flags checked and typed, arguments still as written
/// (variables are expanded later, against the stage's environment at that point, as BuildKit does).
public enum Instruction: Sendable, Equatable {
    case run(RunInstruction)
    case copy(CopyInstruction)
    case env([KeyValuePair])
    case label([KeyValuePair])
    case arg([ArgDeclaration])
    case cmd(CommandLine)
    case entrypoint(CommandLine)
    case shell([String])
    case workdir(String)
    case user(String)
    case expose([String])
    case volume([String])
    case stopSignal(String)
    case healthcheck(HealthcheckInstruction)
    case onbuild(String)
    case maintainer(String)

    /// The upper-case keyword, as BuildKit names steps (`RUN`, `COPY`, ...).
    public var keyword: String {
        switch self {
        case .run: "RUN"
        case .copy(let c): c.isAdd ? "ADD" : "COPY"
        case .env: "ENV"
        case .label: "LABEL"
        case .arg: "ARG"
        case .cmd: "CMD"
        case .entrypoint: "ENTRYPOINT"
        case .shell: "SHELL"
        case .workdir: "WORKDIR"
        case .user: "USER"
        case .expose: "EXPOSE"
        case .volume: "VOLUME"
        case .stopSignal: "STOPSIGNAL"
        case .healthcheck: "HEALTHCHECK"
        case .onbuild: "ONBUILD"
        case .maintainer: "MAINTAINER"
        }
    }
}

/// An instruction with where it came from.
public struct LocatedInstruction: Sendable, Equatable {
    public var instruction: Instruction
    public var location: SourceLocation
    /// The instruction text as written (continuations joined), for step names.
    public var text: String
    public var heredocs: [Heredoc]
}

public struct KeyValuePair: Sendable, Equatable, Codable {
    public var key: String
    public var value: String
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

public struct ArgDeclaration: Sendable, Equatable, Codable {
    public var name: String
    /// nil when declared without a default (`ARG NAME`).
    public var defaultValue: String?
}

/// CMD, ENTRYPOINT and RUN's command: exec form (JSON) or shell form (run through SHELL).
public struct CommandLine: Sendable, Equatable {
    public var arguments: [String]
    public var isShellForm: Bool
}

public struct RunInstruction: Sendable, Equatable {
    public var command: CommandLine
    public var mounts: [MountSpec]
    public var network: NetworkMode
    public var security: SecurityMode
}

public enum NetworkMode: String, Sendable, Equatable, Codable {
    case `default`, none, host
}

public enum SecurityMode: String, Sendable, Equatable, Codable {
    case sandbox, insecure
}

/// COPY and ADD: sources (local paths, URLs, git, heredoc names) into one destination.
public struct CopyInstruction: Sendable, Equatable {
    public var isAdd: Bool
    public var sources: [String]
    public var destination: String
    /// `--from`: a stage name or index, or an image reference.
    public var from: String?
    public var chown: String?
    public var chmod: String?
    public var link: Bool
    public var parents: Bool
    public var excludes: [String]
    /// ADD only.
    public var checksum: String?
    public var keepGitDir: Bool
    public var unpack: Bool?
}

public struct HealthcheckInstruction: Sendable, Equatable {
    /// nil means `HEALTHCHECK NONE`.
    public var test: CommandLine?
    public var interval: Duration?
    public var timeout: Duration?
    public var startPeriod: Duration?
    public var startInterval: Duration?
    public var retries: Int?
}
