import BuildCore
import Foundation

/// The source view (`s`): the Dockerfile with each line's steps beside it. The cursor is a line;
/// enter opens the log of the step on it, `e` goes to the failed line.
extension DashboardState {
    /// The steps an instruction on `line` (1-based) made, in display order.
    func steps(onLine line: Int) -> [Step] {
        steps.filter { step in
            guard let start = step.startLine else { return false }
            return line >= start && line <= (step.endLine ?? start)
        }
    }

    /// The first line of the first failed step, 0-based.
    var failedSourceLine: Int? {
        firstFailure.flatMap { step($0)?.startLine }.map { $0 - 1 }
    }

    mutating func sourceKey(_ key: Key) -> [DashboardEffect] {
        let layout = DashboardLayout(state: self, width: width, height: height)
        let page = max(1, SourceView.listHeight(layout.body) - 1)
        switch key {
        case .up, .char("k"), .wheelUp: moveSourceCursor(by: -1)
        case .down, .char("j"), .wheelDown: moveSourceCursor(by: 1)
        case .pageUp: moveSourceCursor(by: -page)
        case .pageDown, .char(" "): moveSourceCursor(by: page)
        case .home: moveSourceCursor(by: -sourceCursor)
        case .end, .char("G"): moveSourceCursor(by: dockerfileLines.count)
        case .enter:
            // The step on this line (or the nearest above), its log full screen.
            var line = sourceCursor + 1
            while line > 0, steps(onLine: line).isEmpty { line -= 1 }
            guard let step = steps(onLine: line).first(where: { $0.status == .failed }) ?? steps(onLine: line).last else {
                return [.bell]
            }
            select(step.digest, pin: true)
            screen = .build
            logMaximised = true
            focus = .log
        default: break
        }
        return []
    }

    mutating func moveSourceCursor(by delta: Int) {
        sourceCursor = min(max(0, sourceCursor + delta), max(0, dockerfileLines.count - 1))
        let rows = SourceView.listHeight(DashboardLayout(state: self, width: width, height: height).body)
        if sourceCursor < scroll { scroll = sourceCursor }
        if sourceCursor >= scroll + rows { scroll = sourceCursor - rows + 1 }
    }

    /// What the names on the cursor's line stand for: build args (`$NAME`, `${NAME}`, `ARG NAME`)
    /// with their values and where the value comes from, and stage names with their line.
    func sourceDetails(line index: Int) -> [String] {
        guard dockerfileLines.indices.contains(index) else { return [] }
        let text = dockerfileLines[index]
        var out: [String] = []
        var seen = Set<String>()
        for name in Self.variableNames(in: text) where seen.insert(name).inserted {
            if let value = build?.buildArgs[name] {
                out.append("\(name)=\(value)  (--build-arg)")
            } else if let (value, line) = argDefault(name) {
                out.append("\(name)=\(value)  (ARG default, line \(line))")
            } else if argDeclared(name) {
                out.append("\(name) is declared without a value (empty)")
            }
        }
        for (name, line, base) in stages() where Self.mentions(text, stage: name) && seen.insert("stage:" + name).inserted {
            let lane = steps.filter { $0.stage == name }
            let done = lane.filter { $0.status.isEnded }.count
            out.append("stage \(name): line \(line), FROM \(base)" + (lane.isEmpty ? "" : "  (\(done)/\(lane.count) steps ended)"))
        }
        return out
    }

    /// `ARG NAME=value`'s value and 1-based line, the first declaration with one.
    private func argDefault(_ name: String) -> (String, Int)? {
        for (i, line) in dockerfileLines.enumerated() {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2, words[0].uppercased() == "ARG" else { continue }
            for word in words.dropFirst() where word.hasPrefix(name + "=") {
                var value = String(word.dropFirst(name.count + 1))
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
                return (value, i + 1)
            }
        }
        return nil
    }

    private func argDeclared(_ name: String) -> Bool {
        dockerfileLines.contains { line in
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            return words.count >= 2 && words[0].uppercased() == "ARG" && words.dropFirst().contains { $0 == name }
        }
    }

    /// Named stages: (name, 1-based line, base).
    func stages() -> [(String, Int, String)] {
        dockerfileLines.enumerated().compactMap { i, line in
            let words = line.split(separator: " ", omittingEmptySubsequences: true).filter { !$0.hasPrefix("--") }
            guard words.count >= 4, words[0].uppercased() == "FROM", words[2].uppercased() == "AS" else { return nil }
            return (String(words[3]), i + 1, String(words[1]))
        }
    }

    static func mentions(_ line: String, stage: String) -> Bool {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        if words.contains(where: { $0 == "--from=" + stage }) { return true }
        guard let first = words.first?.uppercased(), first == "FROM" else { return false }
        return words.dropFirst().contains { $0 == stage }
    }

    /// `$NAME` and `${NAME…}` in a line, and the names an `ARG` line declares.
    static func variableNames(in line: String) -> [String] {
        var names: [String] = []
        let chars = Array(line.unicodeScalars)
        func isName(_ c: Unicode.Scalar, first: Bool) -> Bool {
            (c.properties.isAlphabetic && c.isASCII) || c == "_" || (!first && c.properties.numericType != nil && c.isASCII)
        }
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count {
                var j = i + 1
                if chars[j] == "{" { j += 1 }
                let start = j
                while j < chars.count, isName(chars[j], first: j == start) { j += 1 }
                if j > start { names.append(String(String.UnicodeScalarView(chars[start..<j]))) }
                i = j
            } else {
                i += 1
            }
        }
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        if words.first?.uppercased() == "ARG" {
            for word in words.dropFirst() { names.append(String(word.split(separator: "=", maxSplits: 1)[0])) }
        }
        return names
    }
}
