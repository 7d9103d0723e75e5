import Foundation

/// Feeds random and mutated input to the parser, the expander and the ignore matcher, in process,
/// so a million inputs take seconds. Deterministic for a seed: a crash is reproduced by running
/// the same seed again. Errors are expected; a crash or a hang (one input over `slowLimit`) is not.
public struct FrontendFuzzer: Sendable {
    public enum Target: String, Sendable, CaseIterable { case parser, expander, ignore }

    public struct Report: Sendable {
        public var inputs = 0
        public var accepted = 0
        public var rejected = 0
        public var slowest: Duration = .zero
        public var slowestInput = ""
    }

    public var target: Target
    public var seed: UInt64
    public var corpus: [String]

    public init(target: Target, seed: UInt64, corpus: [String]) {
        self.target = target
        self.seed = seed
        self.corpus = corpus.isEmpty ? Self.builtinCorpus : corpus
    }

    static let builtinCorpus = [
        "FROM a\nRUN echo hi\n", "# escape=`\nFROM a `\n  b\n", "FROM a AS b\nCOPY --from=b <<EOF /x\nhi\nEOF\n",
        "ARG X=1\nFROM ${X:-y}\nENV a=b c=\"d e\"\nCMD [\"a\", \"b\"]\n", "${a:-b}$c\"${d#e}\"'f'\\g",
        "**/*.go\n!keep.go\n/abs/path\n# comment\n[a-z]?\n",
    ]

    static let fragments = ["\\", "\"", "'", "[", "]", "\n", " ", "\t", "#", "<<", "<<-", "`", "=", ",", "\r\n",
                            "\\\n", "{", "}", "$", "${", ":-", "#", "%", "/", "//", "!", "**", "*", "?", "--",
                            "RUN ", "FROM ", "COPY ", "ONBUILD ", "EOF", "\u{FEFF}", "\u{0}", "é", "☃", "\u{85}"]

    /// Runs `count` inputs: every third is generated from fragments, the rest are corpus mutations.
    public func run(count: Int, progress: (Int) -> Void = { _ in }) -> Report {
        var rng = SplitMix64(seed: seed)
        var report = Report()
        let clock = ContinuousClock()
        for i in 0..<count {
            let input = i % 3 == 0 ? generate(&rng) : mutate(corpus[Int(rng.next() % UInt64(corpus.count))], &rng)
            let start = clock.now
            let ok = exercise(input)
            let took = clock.now - start
            if took > report.slowest {
                report.slowest = took
                report.slowestInput = input
            }
            report.inputs += 1
            if ok { report.accepted += 1 } else { report.rejected += 1 }
            if (i + 1) % 100_000 == 0 { progress(i + 1) }
        }
        return report
    }

    func exercise(_ input: String) -> Bool {
        switch target {
        case .parser:
            guard let d = try? Dockerfile.parse(input) else { return (try? DockerfileParser.parse(input)) != nil }
            _ = try? StageResolver(options: FrontendOptions()).resolve(d)
            return true
        case .expander:
            let env = ShellEnvironment([("A", "a b"), ("EMPTY", ""), ("PWD", "/home")])
            let a = try? ShellLexer().expandWords(input, environment: env)
            let b = try? ShellLexer(escapeToken: "`").expandWord(input, environment: env)
            return a != nil || b != nil
        case .ignore:
            let patterns = DockerignoreFile.parse(input)
            guard let m = try? PatternMatcher(patterns: patterns) else { return false }
            for path in ["a", "a/b", "a/b/c.go", ".git/config", "node_modules/x/y.js", "é/☃"] {
                _ = try? m.matchesOrParentMatches(path)
            }
            return true
        }
    }

    func generate(_ rng: inout SplitMix64) -> String {
        var s = ""
        for _ in 0..<Int(rng.next() % 24) {
            s += Self.fragments[Int(rng.next() % UInt64(Self.fragments.count))]
            if rng.next() % 3 == 0 { s += String(UnicodeScalar(UInt8(97 + rng.next() % 26))) }
        }
        return s
    }

    func mutate(_ seed: String, _ rng: inout SplitMix64) -> String {
        var scalars = Array(seed.unicodeScalars)
        for _ in 0..<(1 + Int(rng.next() % 6)) {
            let pos = scalars.isEmpty ? 0 : Int(rng.next() % UInt64(scalars.count + 1))
            switch rng.next() % 4 {
            case 0:
                scalars.insert(contentsOf: Self.fragments[Int(rng.next() % UInt64(Self.fragments.count))].unicodeScalars, at: pos)
            case 1 where !scalars.isEmpty:
                scalars.remove(at: min(pos, scalars.count - 1))
            case 2 where !scalars.isEmpty:
                let len = Int(rng.next() % 16)
                let from = min(pos, scalars.count - 1)
                let chunk = scalars[from..<min(scalars.count, from + len)]
                scalars.insert(contentsOf: chunk, at: Int(rng.next() % UInt64(scalars.count + 1)))
            default:
                if let s = Unicode.Scalar(UInt32(rng.next() % 0x2FF)) { scalars.insert(s, at: pos) }
            }
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }
}

/// A small, fast, seedable generator (SplitMix64), so fuzz runs are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
