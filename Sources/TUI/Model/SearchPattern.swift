import Foundation

/// A log search query with less/vim "smart case": case-insensitive unless the query has an
/// uppercase letter. Matching is by characters (the log pane's cells), never by bytes, so a
/// match range is directly a range of columns in an unwrapped line.
struct SearchPattern: Sendable, Equatable {
    let text: String
    let caseInsensitive: Bool
    private let folded: [Character]

    /// Nil for an empty query: an empty pattern matches nothing rather than everything.
    init?(_ query: String) {
        guard !query.isEmpty else { return nil }
        text = query
        let insensitive = !query.contains { $0.isUppercase }
        caseInsensitive = insensitive
        folded = query.map { Self.fold($0, insensitive) }
    }

    /// Whether `line` contains the pattern.
    func matches(_ line: String) -> Bool {
        line.range(of: text, options: caseInsensitive ? [.caseInsensitive] : []) != nil
    }

    /// The non-overlapping occurrences in `characters`, as character offsets.
    func ranges(in characters: [Character]) -> [Range<Int>] {
        let n = folded.count
        guard n > 0, characters.count >= n else { return [] }
        var found: [Range<Int>] = []
        var i = 0
        while i <= characters.count - n {
            var j = 0
            while j < n, Self.fold(characters[i + j], caseInsensitive) == folded[j] { j += 1 }
            if j == n {
                found.append(i..<(i + n))
                i += n
            } else {
                i += 1
            }
        }
        return found
    }

    private static func fold(_ c: Character, _ insensitive: Bool) -> Character {
        guard insensitive else { return c }
        if let ascii = c.asciiValue {
            return (65...90).contains(ascii) ? Character(Unicode.Scalar(ascii + 32)) : c
        }
        let lower = c.lowercased()
        return lower.count == 1 ? Character(lower) : c
    }
}
