import Foundation

/// The `debug stages` view of a plan: each stage's name, base as written and resolved, and the
/// stages it depends on.
public struct StageListing: Sendable {
    public var plan: BuildPlan

    public init(plan: BuildPlan) {
        self.plan = plan
    }

    public func json() -> String {
        let stages: [JSONText] = plan.stages.map { s in
            .object([
                ("name", .optional(s.stage.name)),
                ("base", .string(s.stage.base)),
                ("baseResolved", .string(s.baseResolved)),
                ("dependsOn", .strings(s.dependsOn.map { plan.name(of: $0) })),
            ])
        }
        return JSONText.object([("stages", .array(stages))]).rendered
    }

    public func text() -> String {
        var lines: [String] = []
        let reachable = Set(plan.reachable)
        for (i, s) in plan.stages.enumerated() {
            let marker = i == plan.targetIndex ? "*" : (reachable.contains(i) ? " " : "-")
            var line = "\(marker) \(s.stage.displayName)  FROM \(s.baseResolved)"
            if s.baseResolved != s.stage.base { line += "  (\(s.stage.base))" }
            let deps = s.dependsOn.map { plan.name(of: $0) }
            if !deps.isEmpty { line += "  <- " + deps.joined(separator: ", ") }
            line += "  [\(s.steps.count) step\(s.steps.count == 1 ? "" : "s")]"
            lines.append(line)
        }
        lines.append("* target, - not reached by the target")
        return lines.joined(separator: "\n")
    }
}
