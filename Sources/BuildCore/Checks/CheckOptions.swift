import Foundation

/// What the checks need beyond the Dockerfile text: the build's inputs and, where known, facts
/// about the base images (their ENV feeds UndefinedVar; their platform feeds InvalidBaseImagePlatform).
public struct CheckOptions: Sendable {
    public var buildArgs: [String: String] = [:]
    public var target: String?
    /// `--call=check` checks every stage (BuildKit's lint request); a build checks only the stages
    /// its target reaches, for the rules that run while instructions are converted.
    public var allStages = true
    public var targetPlatform: Platform = .host
    public var buildPlatform: Platform = .host
    /// The context's `.dockerignore` patterns (CopyIgnoredFile).
    public var ignorePatterns: [String] = []
    /// Base images by the name the FROM line expands to. An image that is not here is taken as
    /// an empty config (only the default PATH), which is what a check without a registry can know.
    public var baseImages: [String: BaseImageFacts] = [:]

    public init() {}
}

/// What a base image's config says that a check needs.
public struct BaseImageFacts: Sendable, Equatable {
    public var environment: [KeyValuePair]
    /// The platform of the image that was found; nil when unknown.
    public var platform: Platform?
    public var shell: [String]

    public init(environment: [KeyValuePair] = [], platform: Platform? = nil, shell: [String] = []) {
        self.environment = environment
        self.platform = platform
        self.shell = shell
    }
}

/// The outcome of checking a Dockerfile: the warnings in the order BuildKit emits them and, when
/// the Dockerfile cannot be converted (or `error=true` turned warnings into a failure), the error.
public struct CheckReport: Sendable, Equatable {
    public var warnings: [CheckWarning] = []
    public var error: String?
    /// The error's first line, when it has one.
    public var errorLine: Int?
    /// The effective top-level config (directive or build-arg).
    public var config = CheckConfig()

    public init() {}

    /// Warnings ordered as BuildKit's check report prints them: by line, stable otherwise.
    public var sortedWarnings: [CheckWarning] {
        warnings.enumerated().sorted { a, b in
            a.element.startLine != b.element.startLine ? a.element.startLine < b.element.startLine : a.offset < b.offset
        }.map(\.element)
    }
}
