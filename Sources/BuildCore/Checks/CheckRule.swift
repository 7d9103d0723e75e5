import Foundation

/// One of BuildKit's Dockerfile build checks. Names, descriptions and URLs are BuildKit's own
/// (its `linter/ruleset.go`): they are what users search for, so they must match exactly.
public struct CheckRule: Sendable, Equatable, Hashable {
    public let name: String
    public let description: String
    /// Empty for a rule BuildKit publishes no page for (InvalidBaseImagePlatform).
    public let url: String
    /// Experimental rules run only when `experimental=` names them.
    public let experimental: Bool

    init(_ name: String, _ description: String, _ slug: String?, experimental: Bool = false) {
        self.name = name
        self.description = description
        self.url = slug.map { "https://docs.docker.com/go/dockerfile/rule/\($0)/" } ?? ""
        self.experimental = experimental
    }
}

extension CheckRule {
    public static let stageNameCasing = CheckRule("StageNameCasing", "Stage names should be lowercase", "stage-name-casing")
    public static let fromAsCasing = CheckRule("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword",
                                               "from-as-casing")
    public static let noEmptyContinuation = CheckRule("NoEmptyContinuation",
                                                      "Empty continuation lines will become errors in a future release",
                                                      "no-empty-continuation")
    public static let consistentInstructionCasing = CheckRule(
        "ConsistentInstructionCasing", "All commands within the Dockerfile should use the same casing (either upper or lower)",
        "consistent-instruction-casing")
    public static let duplicateStageName = CheckRule("DuplicateStageName", "Stage names should be unique", "duplicate-stage-name")
    public static let reservedStageName = CheckRule("ReservedStageName", "Reserved words should not be used as stage names",
                                                    "reserved-stage-name")
    public static let jsonArgsRecommended = CheckRule(
        "JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
        "json-args-recommended")
    public static let maintainerDeprecated = CheckRule(
        "MaintainerDeprecated", "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
        "maintainer-deprecated")
    public static let undefinedArgInFrom = CheckRule("UndefinedArgInFrom", "FROM command must use declared ARGs",
                                                     "undefined-arg-in-from")
    public static let workdirRelativePath = CheckRule(
        "WorkdirRelativePath",
        "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
        "workdir-relative-path")
    public static let undefinedVar = CheckRule("UndefinedVar", "Variables should be defined before their use", "undefined-var")
    public static let multipleInstructionsDisallowed = CheckRule(
        "MultipleInstructionsDisallowed", "Multiple instructions of the same type should not be used in the same stage",
        "multiple-instructions-disallowed")
    public static let legacyKeyValueFormat = CheckRule("LegacyKeyValueFormat",
                                                       "Legacy key/value format with whitespace separator should not be used",
                                                       "legacy-key-value-format")
    public static let invalidBaseImagePlatform = CheckRule("InvalidBaseImagePlatform",
                                                           "Base image platform does not match expected target platform", nil)
    public static let redundantTargetPlatform = CheckRule(
        "RedundantTargetPlatform",
        "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
        "redundant-target-platform")
    public static let secretsUsedInArgOrEnv = CheckRule("SecretsUsedInArgOrEnv",
                                                        "Sensitive data should not be used in the ARG or ENV commands",
                                                        "secrets-used-in-arg-or-env")
    public static let invalidDefaultArgInFrom = CheckRule(
        "InvalidDefaultArgInFrom", "Default value for global ARG results in an empty or invalid base image name",
        "invalid-default-arg-in-from")
    public static let fromPlatformFlagConstDisallowed = CheckRule(
        "FromPlatformFlagConstDisallowed", "FROM --platform flag should not use a constant value", "from-platform-flag-const-disallowed")
    public static let copyIgnoredFile = CheckRule("CopyIgnoredFile", "Attempting to Copy file that is excluded by .dockerignore",
                                                  "copy-ignored-file")
    public static let invalidDefinitionDescription = CheckRule(
        "InvalidDefinitionDescription",
        "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.",
        "invalid-definition-description", experimental: true)
    public static let exposeProtoCasing = CheckRule("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase",
                                                    "expose-proto-casing")
    public static let exposeInvalidFormat = CheckRule(
        "ExposeInvalidFormat",
        "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
        "expose-invalid-format")

    /// Every rule, in BuildKit's order.
    public static let all: [CheckRule] = [
        stageNameCasing, fromAsCasing, noEmptyContinuation, consistentInstructionCasing, duplicateStageName, reservedStageName,
        jsonArgsRecommended, maintainerDeprecated, undefinedArgInFrom, workdirRelativePath, undefinedVar,
        multipleInstructionsDisallowed, legacyKeyValueFormat, invalidBaseImagePlatform, redundantTargetPlatform,
        secretsUsedInArgOrEnv, invalidDefaultArgInFrom, fromPlatformFlagConstDisallowed, copyIgnoredFile,
        invalidDefinitionDescription, exposeProtoCasing, exposeInvalidFormat,
    ]
}

/// A rule that fired: where, and BuildKit's message for it.
public struct CheckWarning: Sendable, Equatable {
    public var rule: CheckRule
    /// BuildKit's formatted message (`Stage name 'Foo' should be lowercase`).
    public var detail: String
    /// 1-based Dockerfile lines the warning covers (BuildKit sends one range per line).
    public var startLine: Int
    public var endLine: Int

    public init(rule: CheckRule, detail: String, startLine: Int, endLine: Int) {
        self.rule = rule
        self.detail = detail
        self.startLine = startLine
        self.endLine = max(endLine, startLine)
    }

    /// BuildKit's one-line form (`LintFormatShort`): `Rule: detail (line N)`.
    public var short: String {
        startLine > 0 ? "\(rule.name): \(detail) (line \(startLine))" : "\(rule.name): \(detail)"
    }

    /// The warning as a build event: its short form as the message, with the rule, URL,
    /// description and line range that printers, records and the dashboard need.
    public func buildWarning(file: String?) -> BuildWarning {
        var w = BuildWarning(message: short, file: file, line: startLine > 0 ? startLine : nil)
        w.rule = rule.name
        w.url = rule.url.isEmpty ? nil : rule.url
        w.description = rule.description
        w.detail = detail
        w.level = 1
        w.endLine = endLine > 0 ? endLine : nil
        return w
    }
}
