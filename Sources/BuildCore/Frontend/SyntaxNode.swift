import Foundation

/// One instruction of a Dockerfile as BuildKit's parser sees it, before any meaning is given to it.
///
/// The shape mirrors BuildKit's AST node so the dump (`debug parse`) can be compared byte for byte:
/// `arguments` is BuildKit's `Next` chain, and ONBUILD holds its inner instruction as a
/// `.nested` argument (BuildKit's `Children`).
public struct SyntaxNode: Sendable, Equatable {
    public enum Argument: Sendable, Equatable {
        case word(String)
        indirect case nested(SyntaxNode)

        public var word: String? {
            if case .word(let w) = self { return w }
            return nil
        }
    }

    /// The instruction keyword, lower-cased (`run`, `copy`, ...). Unknown keywords are kept too:
    /// the instruction layer reports them with their location.
    public var keyword: String
    /// The keyword as written, for messages.
    public var writtenKeyword: String
    public var flags: [String]
    public var arguments: [Argument]
    /// True when the arguments came from JSON (exec) form.
    public var isJSON: Bool
    public var heredocs: [Heredoc]
    /// The instruction's text with continuations joined, as BuildKit's `Original`.
    public var original: String
    public var startLine: Int
    public var endLine: Int
    /// 1-based column of the keyword on `startLine`.
    public var column: Int
    /// Comment lines directly above the instruction.
    public var comments: [String]

    public init(keyword: String, writtenKeyword: String? = nil, flags: [String] = [], arguments: [Argument] = [],
                isJSON: Bool = false, heredocs: [Heredoc] = [], original: String = "",
                startLine: Int = 0, endLine: Int = 0, column: Int = 1, comments: [String] = []) {
        self.keyword = keyword
        self.writtenKeyword = writtenKeyword ?? keyword.uppercased()
        self.flags = flags
        self.arguments = arguments
        self.isJSON = isJSON
        self.heredocs = heredocs
        self.original = original
        self.startLine = startLine
        self.endLine = endLine
        self.column = column
        self.comments = comments
    }

    /// The plain word arguments (nested ones skipped).
    public var words: [String] { arguments.compactMap(\.word) }

    /// The inner instruction of an ONBUILD.
    public var nested: SyntaxNode? {
        for a in arguments { if case .nested(let n) = a { return n } }
        return nil
    }
}

/// A here-document attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`).
public struct Heredoc: Sendable, Equatable, Codable {
    public var name: String
    public var content: String
    /// False when any part of the delimiter was quoted: the body is then taken literally.
    public var expand: Bool
    /// `<<-`: leading tabs are stripped from the body and the terminator.
    public var chomp: Bool
    public var fileDescriptor: Int

    public init(name: String, content: String = "", expand: Bool = true, chomp: Bool = false, fileDescriptor: Int = 0) {
        self.name = name
        self.content = content
        self.expand = expand
        self.chomp = chomp
        self.fileDescriptor = fileDescriptor
    }
}

/// A parser directive from the top of the file (`# syntax=`, `# escape=`, `# check=`).
public struct ParserDirective: Sendable, Equatable, Codable {
    public var name: String
    public var value: String
    public var line: Int
}

/// A non-fatal finding of the parser (BuildKit prints these as warnings).
public struct ParseWarning: Sendable, Equatable, Codable {
    public var message: String
    public var line: Int
    /// The instruction's last continuation line: where BuildKit locates NoEmptyContinuation.
    public var endLine: Int?

    public init(message: String, line: Int, endLine: Int? = nil) {
        self.message = message
        self.line = line
        self.endLine = endLine
    }
}

/// The parsed file: its instructions in order, and what the directives said.
public struct DockerfileAST: Sendable, Equatable {
    public var nodes: [SyntaxNode]
    public var escapeToken: Character
    public var directives: [ParserDirective]
    public var warnings: [ParseWarning]
    public var fileName: String
    public var source: String

    public func directive(_ name: String) -> String? {
        directives.first { $0.name == name }?.value
    }
}
