import Foundation

extension BuildWarning {
    /// Recognises a build check in a warning read from BuildKit's rawjson: it has a URL and a
    /// short form `Rule: detail (line N)`. The rule, description and detail are taken apart again
    /// so a replayed BuildKit build shows its checks as swbuild's own.
    mutating func adoptBuildCheck(level: Int?, detail: [Data]?, url: String?, lastLine: Int?) {
        self.level = level
        self.url = url.flatMap { $0.isEmpty ? nil : $0 }
        self.description = detail?.first.map { String(decoding: $0, as: UTF8.self) }
        if let lastLine, lastLine != line { endLine = lastLine }
        guard let colon = message.range(of: ": ") else { return }
        let name = message[..<colon.lowerBound]
        let known = CheckRule.all.contains { $0.name == name }
        guard known || (self.url != nil && name.allSatisfy({ $0.isLetter || $0.isNumber }) && !name.isEmpty) else { return }
        rule = String(name)
        var rest = String(message[colon.upperBound...])
        if let line, rest.hasSuffix(" (line \(line))") { rest.removeLast(" (line \(line))".count) }
        self.detail = rest
    }
}
