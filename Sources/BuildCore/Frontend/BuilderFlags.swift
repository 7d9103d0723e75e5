import Foundation

/// BuildKit's instruction flags (`--from=x`, `--link`, repeated `--mount=...`): declared per
/// instruction, parsed with BuildKit's rules and its error messages.
struct BuilderFlags {
    enum Kind { case bool, string, strings }

    private var kinds: [String: Kind] = [:]
    private var order: [String] = []
    private(set) var strings: [String: String] = [:]
    private(set) var lists: [String: [String]] = [:]
    private(set) var bools: [String: Bool] = [:]
    private(set) var used: Set<String> = []

    init(_ declarations: [(String, Kind)]) {
        for (name, kind) in declarations {
            kinds[name] = kind
            order.append(name)
        }
    }

    mutating func parse(_ args: [String]) throws(ParseFailure) {
        for raw in args {
            guard raw.hasPrefix("--") else { throw ParseFailure("arg should start with -- : \(raw)") }
            if raw == "--" { return }
            var name = String(raw.dropFirst(2))
            var value = ""
            var hasValue = false
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
                hasValue = true
            }
            guard let kind = kinds[name] else {
                var message = "unknown flag: \(name)"
                if let guess = Suggestion.closest(to: name, among: order) { message += " (did you mean \(guess)?)" }
                throw ParseFailure(message)
            }
            if used.contains(name) && kind != .strings {
                throw ParseFailure("duplicate flag specified: \(name)")
            }
            used.insert(name)
            switch kind {
            case .bool:
                if hasValue && value.isEmpty { throw ParseFailure("missing a value on flag: \(name)") }
                switch value.lowercased() {
                case "true", "": bools[name] = true
                case "false": bools[name] = false
                default: throw ParseFailure("expecting boolean value for flag \(name), not: \(value)")
                }
            case .string:
                guard hasValue else { throw ParseFailure("missing a value on flag: \(name)") }
                strings[name] = value
            case .strings:
                guard hasValue else { throw ParseFailure("missing a value on flag: \(name)") }
                lists[name, default: []].append(value)
            }
        }
    }

    func string(_ name: String) -> String? { strings[name] }
    func list(_ name: String) -> [String] { lists[name] ?? [] }
    func bool(_ name: String) -> Bool { bools[name] ?? false }
}

/// "did you mean" hints, as BuildKit gives for misspelt instructions, flags and mount keys.
enum Suggestion {
    static func closest(to word: String, among candidates: [String]) -> String? {
        let lower = word.lowercased()
        var best: (String, Int)?
        for c in candidates {
            let d = distance(lower, c.lowercased())
            let limit = max(1, min(c.count, lower.count) / 3)
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    /// Edit distance counting a swap of two neighbours as one edit (`form` is one from `from`).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var before = Array(repeating: 0, count: y.count + 1)
        var prev = Array(0...y.count)
        var cur = Array(repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            cur[0] = i
            for j in 1...y.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    cur[j] = min(cur[j], before[j - 2] + 1)
                }
            }
            before = prev
            swap(&prev, &cur)
        }
        return prev[y.count]
    }
}
