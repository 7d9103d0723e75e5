import Foundation

/// Which checks run and whether a warning fails the build: BuildKit's `# check=` directive
/// (`skip=Rule1,Rule2|all; error=true; experimental=Rule|all`), also given whole as the
/// `BUILDKIT_DOCKERFILE_CHECK` build-arg, which then replaces the directive.
public struct CheckConfig: Sendable, Equatable {
    public var skipAll = false
    public var skipped: Set<String> = []
    public var experimentalAll = false
    public var experimental: Set<String> = []
    /// `error=true`: a build with any warning fails after the Dockerfile is converted.
    public var failOnWarning = false

    public init() {}

    /// The build-arg that replaces the `# check=` directive, as BuildKit's frontend reads it.
    public static let buildArgName = "BUILDKIT_DOCKERFILE_CHECK"

    /// Parses the value of a check directive. Like BuildKit: at most three `;` parts, each `key=value`.
    public static func parse(_ text: String) throws(CheckConfigError) -> CheckConfig {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var config = CheckConfig()
        guard !trimmed.isEmpty else { return config }
        for part in trimmed.split(separator: ";", maxSplits: 2, omittingEmptySubsequences: false).map(String.init) {
            guard let eq = part.firstIndex(of: "=") else { throw CheckConfigError("invalid check option \(GoQuote.quote(part))") }
            let key = part[..<eq].trimmingCharacters(in: .whitespaces)
            let value = part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            let names = Set(value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) })
            switch key {
            case "skip":
                if value == "all" { config.skipAll = true } else { config.skipped = names }
            case "experimental":
                if value == "all" { config.experimentalAll = true } else { config.experimental = names }
            case "error":
                guard let flag = goBool(value) else {
                    throw CheckConfigError("failed to parse check option \(GoQuote.quote(part)): strconv.ParseBool: parsing \(GoQuote.quote(value)): invalid syntax")
                }
                config.failOnWarning = flag
            default:
                throw CheckConfigError("invalid check option \(GoQuote.quote(key))")
            }
        }
        return config
    }

    /// Go's `strconv.ParseBool`.
    static func goBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }

    /// Adds another config's skips and experiments (never its `error`), as BuildKit merges a
    /// `# check=` comment above one instruction into the file's config for that instruction.
    public func merged(with other: CheckConfig) -> CheckConfig {
        var out = self
        out.skipAll = skipAll || other.skipAll
        out.skipped.formUnion(other.skipped)
        out.experimentalAll = experimentalAll || other.experimentalAll
        out.experimental.formUnion(other.experimental)
        return out
    }

    /// The config for one instruction: the first `check=` comment directly above it counts; one
    /// that does not parse leaves the config as it was.
    public func merged(withComments comments: [String]) -> CheckConfig {
        for comment in comments {
            guard let (name, value) = DirectiveState.match(Array(("#" + comment).utf8)[...]),
                  DockerfileParser.validDirectives.contains(name.lowercased()) else { continue }
            guard name.lowercased() == "check" else { continue }
            let first = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard let parsed = try? Self.parse(first) else { return self }
            return merged(with: parsed)
        }
        return self
    }

    public func allows(_ rule: CheckRule) -> Bool {
        if rule.experimental { return experimentalAll || experimental.contains(rule.name) }
        return !skipAll && !skipped.contains(rule.name)
    }
}

/// A `# check=` value that BuildKit would refuse.
public struct CheckConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
