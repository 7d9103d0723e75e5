import BuildCore
import Foundation

/// The time left in a running build, estimated from how long each step took last time.
///
/// Each unfinished step is assumed to take its history duration (minus what it already ran) and
/// to start as soon as its inputs are done, so parallel stages overlap as they will in the
/// build: the estimate is the longest chain of remaining work, not the sum of it. A step with no
/// history counts as instant and marks the estimate a lower bound (`≥` on screen).
struct BuildEstimate: Sendable, Equatable {
    var seconds: Double
    /// Some remaining steps have no history, so the build may well take longer.
    var isLowerBound: Bool

    /// Nil when the build is over or no remaining step has history.
    init?(_ state: DashboardState) {
        guard !state.finished, !state.stepHistory.isEmpty else { return nil }
        let now = state.clock
        var finish: [Digest: Double] = [:]
        var known = 0
        var unknown = 0
        let ordered = state.steps.sorted { ($0.planRank ?? Int.max, $0.creation) < ($1.planRank ?? Int.max, $1.creation) }
        for step in ordered {
            guard !step.status.isEnded else {
                finish[step.digest] = 0
                continue
            }
            var remaining = 0.0
            if let expected = state.stepHistory[step.name] {
                known += 1
                remaining = max(0, expected - (step.duration(now: now) ?? 0))
            } else {
                unknown += 1
            }
            let ready = step.inputs.compactMap { finish[$0] }.max() ?? 0
            finish[step.digest] = ready + remaining
        }
        guard known > 0 else { return nil }
        seconds = finish.values.max() ?? 0
        isLowerBound = unknown > 0
    }
}
