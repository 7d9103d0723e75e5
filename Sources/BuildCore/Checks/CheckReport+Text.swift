import Foundation

extension CheckReport {
    /// What `docker buildx build --call=check` prints on stdout: the count, then each warning
    /// with its rule, URL, message and the Dockerfile lines around it, sorted by line.
    public func text(source: String, fileName: String) -> String {
        var out = ""
        let sorted = sortedWarnings
        if !sorted.isEmpty {
            out += "Check complete, " + (sorted.count == 1 ? "1 warning has been found!" : "\(sorted.count) warnings have been found!") + "\n"
        }
        for w in sorted {
            out += "\nWARNING: \(w.rule.name)"
            if !w.rule.url.isEmpty { out += " - \(w.rule.url)" }
            out += "\n\(w.detail)\n"
            out += Self.excerpt(source: source, fileName: fileName, start: w.startLine, end: w.endLine)
        }
        if error == nil && sorted.isEmpty { out += "Check complete, no warnings found.\n" }
        return out
    }

    /// The error as buildx prints it after the warnings (its message and, when located, the lines).
    public func errorText(source: String, fileName: String) -> String? {
        guard let error else { return nil }
        var out = error + "\n"
        if let line = errorLine { out += Self.excerpt(source: source, fileName: fileName, start: line, end: line) }
        return out
    }

    /// BuildKit's source excerpt (`errdefs.Source.Print`): the marked lines with two lines of
    /// context (four around a single line), `>>>` on the marked ones.
    static func excerpt(source: String, fileName: String, start first: Int, end last: Int) -> String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        guard first >= 1, first <= lines.count else { return "" }
        var start = first
        var end = min(max(last, first), lines.count)
        let pad = end == start ? 4 : 2
        var p = 0
        while p < pad {
            if start > 1 { start -= 1; p += 1 }
            if end != lines.count { end += 1; p += 1 }
            p += 1
        }
        var out = "\(fileName):\(first)\n--------------------\n"
        for i in start...end {
            let marked = i >= first && i <= max(last, first)
            let number = String(i)
            out += " " + String(repeating: " ", count: max(0, 3 - number.count)) + number + " | " + (marked ? ">>>" : "   ") + " " + lines[i - 1] + "\n"
        }
        return out + "--------------------\n"
    }
}
