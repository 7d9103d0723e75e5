import Foundation

/// The words of a comparison: the one-line answer to "why is B slower", and the table that
/// `history diff` prints. The dashboard draws its own (styled) table from the same values.
extension HistoryDiff {
    /// `B took 12.3s longer (+41%): 2 steps missed the cache (build arg VERSION changed), RUN make slower by 9.1s`
    func headline(noCacheB: Bool) -> String {
        var line: String
        let percent = a.duration > 0 ? Int((abs(delta) / a.duration * 100).rounded()) : nil
        if abs(delta) < 0.05 {
            line = "B took as long as A (\(Self.seconds(b.duration)))"
        } else if delta > 0 {
            line = "B took \(Self.seconds(delta)) longer" + (percent.map { " (+\($0)%)" } ?? "")
        } else {
            line = "B took \(Self.seconds(-delta)) less" + (percent.map { " (-\($0)%)" } ?? "")
        }
        var reasons: [String] = []
        let failures = steps.filter(\.newFailure)
        if let first = failures.first {
            reasons.append(b.status == .failed && a.status != .failed
                ? "B failed at \(Self.short(first.instruction))"
                : "\(Self.count(failures.count, "new failure")): \(Self.short(first.instruction))")
        }
        let misses = steps.filter { $0.flip == .hitToMiss }
        if !misses.isEmpty {
            let why = causes(noCacheB: noCacheB)
            let fallback = misses.compactMap { $0.b?.missReason }.first
            let cause = why.isEmpty ? fallback : why.joined(separator: ", ")
            reasons.append("\(Self.count(misses.count, "step")) missed the cache" + (cause.map { " (\($0))" } ?? ""))
        }
        let hits = steps.filter { $0.flip == .missToHit }.count
        if hits > 0 { reasons.append("\(Self.count(hits, "step")) came from the cache instead") }
        if let mover = biggestMover {
            reasons.append("\(Self.short(mover.instruction)) \((mover.delta ?? 0) > 0 ? "slower" : "faster") by \(Self.seconds(abs(mover.delta ?? 0)))")
        }
        if !reasons.isEmpty { line += ": " + reasons.joined(separator: ", ") }
        return line
    }

    /// What changed between the builds that makes steps miss, in a few words each.
    func causes(noCacheB: Bool) -> [String] {
        var out: [String] = []
        if noCacheB { out.append("--no-cache") }
        if buildArgs.count == 1 {
            out.append("build arg \(buildArgs[0].name) changed")
        } else if !buildArgs.isEmpty {
            out.append("build args \(buildArgs.map(\.name).joined(separator: ", ")) changed")
        }
        if contextFiles.count == 1 {
            out.append("\(contextFiles[0].path) \(contextFiles[0].kind == .selection ? "changed" : contextFiles[0].kind.rawValue)")
        } else if !contextFiles.isEmpty {
            out.append("\(contextFiles.count) context files changed")
        }
        for image in baseImages { out.append("base image \(image.name) moved") }
        if dockerfileChanged { out.append("Dockerfile changed") }
        return out
    }

    /// The step that moved most in the direction the whole build moved (at least 0.05 s); none
    /// when the build as a whole took as long.
    var biggestMover: Step? {
        guard abs(delta) >= 0.05 else { return nil }
        let moved = steps.filter { abs($0.delta ?? 0) >= 0.05 && ($0.delta ?? 0 > 0) == (delta > 0) }
        return moved.max { abs($0.delta ?? 0) < abs($1.delta ?? 0) }
    }

    /// The plain-text report of `history diff`: both builds, the headline, what changed, and a
    /// row per step.
    public func text(width: Int = 120) -> String {
        let dates = DateFormatter()
        dates.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var lines: [String] = []
        for (label, build) in [("A", a), ("B", b)] {
            lines.append("\(label)  \(build.id)  \(build.status.rawValue)  \(Self.seconds(build.duration))  "
                         + "\(Self.count(build.steps, "step")), \(build.cachedSteps) cached  \(dates.string(from: build.started))")
        }
        lines.append("")
        lines.append(summary)
        let changes = changeLines
        if !changes.isEmpty {
            lines.append("")
            lines.append("CHANGED")
            lines += changes.map { "  " + $0 }
        }
        for note in notes { lines.append("note: " + note) }
        lines.append("")
        let nameWidth = max(24, min(60, width - 44))
        let header = [padColumn("STEP", nameWidth), padColumn("A", 8, right: true), padColumn("B", 8, right: true),
                      padColumn("DELTA", 8, right: true), "CHANGE"]
        lines.append(header.joined(separator: "  "))
        for step in steps {
            var name = (step.stage.map { "[\($0)] " } ?? "") + step.instruction.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            name = name.count > nameWidth ? String(name.prefix(nameWidth - 1)) + "…" : name
            // Below what the column shows: no sign, no noise.
            let delta = step.delta.flatMap { abs($0) < 0.005 ? nil : Self.signed($0) } ?? ""
            let row = [padColumn(name, nameWidth), padColumn(Self.cell(step.a), 8, right: true),
                       padColumn(Self.cell(step.b), 8, right: true), padColumn(delta, 8, right: true), Self.change(step)]
            lines.append(row.joined(separator: "  "))
        }
        return lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n") + "\n"
    }

    /// `build arg VERSION: "1" → "2"`, `file src/a.c (modified)`, …
    public var changeLines: [String] {
        var out: [String] = []
        for arg in buildArgs { out.append("build arg   \(arg.name): \(Self.quoted(arg.old)) → \(Self.quoted(arg.new))") }
        for image in baseImages {
            out.append("base image  \(image.name): \(Self.shortDigest(image.old)) → \(Self.shortDigest(image.new))")
        }
        for file in contextFiles.prefix(20) {
            out.append("file        \(file.path) (\(file.kind == .selection ? "changed; too many files to list" : file.kind.rawValue))")
        }
        if contextFiles.count > 20 { out.append("            … and \(contextFiles.count - 20) more files") }
        if dockerfileChanged { out.append("Dockerfile  changed") }
        return out
    }

    /// The CHANGE column: a flip and its reason, a failure, or where the step is missing.
    public static func change(_ step: Step) -> String {
        var parts: [String] = []
        if step.a == nil { parts.append("only in B") }
        if step.b == nil { parts.append("only in A") }
        if step.instructionChanged { parts.append("instruction changed") }
        if step.newFailure { parts.append("new failure" + (step.b?.error.map { ": \($0)" } ?? "")) }
        switch step.flip {
        case .hitToMiss: parts.append("hit → miss" + (step.b?.missReason.map { ": \($0)" } ?? ""))
        case .missToHit: parts.append("miss → hit")
        case nil: break
        }
        if step.flip == nil, !step.changedFiles.isEmpty {
            parts.append("files changed: " + step.changedFiles.prefix(3).map(\.path).joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    /// A run in a column: `cached`, its time, `failed 1.2s`, or `-` when the build lacks it.
    public static func cell(_ run: StepRun?) -> String {
        guard let run else { return "-" }
        if run.cached { return "cached" }
        switch run.status {
        case .notStarted: return "skipped"
        case .unfinished: return "killed"
        case .failed: return "failed"
        case .canceled: return "canceled"
        case .done, .cached: return run.duration.map(seconds) ?? "?"
        }
    }

    /// `0.42s`, `12.3s`, `2m05s`.
    public static func seconds(_ value: Double) -> String {
        if value < 10 { return String(format: "%.2fs", value) }
        if value < 60 { return String(format: "%.1fs", value) }
        let whole = Int(value.rounded())
        return "\(whole / 60)m" + (whole % 60 < 10 ? "0" : "") + "\(whole % 60)s"
    }

    /// `+1.20s`, `-0.30s`.
    public static func signed(_ value: Double) -> String {
        (value < 0 ? "-" : "+") + seconds(abs(value))
    }

    static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }

    /// An instruction cut to fit in the headline.
    static func short(_ instruction: String) -> String {
        let flat = instruction.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count > 40 ? String(flat.prefix(39)) + "…" : flat
    }

    private static func quoted(_ value: String?) -> String {
        value.map { "\"\($0)\"" } ?? "unset"
    }

    private static func shortDigest(_ value: String?) -> String {
        guard let value else { return "none" }
        return value.hasPrefix("sha256:") ? String(value.prefix(19)) : value
    }


}
