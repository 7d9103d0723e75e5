import Foundation

/// Every error the Dockerfile frontend reports to a user: parse errors, instruction errors,
/// stage references, `.dockerignore` patterns. Each carries the location it was found at, when
/// there is one, so the CLI can print `Dockerfile:12:5: ...` with the source line.
public struct FrontendError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case syntax
        case unknownInstruction
        case invalidFlag
        case invalidMount
        case invalidArgument
        case missingStage
        case duplicateStage
        case emptyFile
        case expansion
        case ignorePattern
        case io
        /// A build check fired and `# check=error=true` makes that fatal.
        case checkViolation
    }

    public var kind: Kind
    public var message: String
    public var location: SourceLocation?

    public init(_ kind: Kind, _ message: String, at location: SourceLocation? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        Diagnostic(location: location, message: message).headline
    }

    /// The message with a source excerpt, for terminals.
    public func rendered(source: String?) -> String {
        Diagnostic(location: location, message: message, source: source).description
    }
}
