import BuildCore
import Foundation

/// The chain of steps that decided when the build ended: the step that ended last, the input
/// of it that ended last, and so on back to a step with no (known) inputs. Shortening anything
/// off this chain cannot make the build faster; the timeline marks it.
enum CriticalPath {
    /// The chain, first step first. A running step counts as ending now.
    static func steps(_ state: DashboardState) -> [Digest] {
        let now = state.clock
        func end(_ step: Step) -> Date? {
            step.lastEnd ?? (step.isOpen ? now : nil)
        }
        var best: (step: Step, end: Date)?
        for step in state.steps {
            guard let e = end(step) else { continue }
            if best.map({ e >= $0.end }) ?? true { best = (step, e) }
        }
        guard var current = best?.step else { return [] }
        var chain = [current.digest]
        var seen: Set<Digest> = [current.digest]
        while true {
            var next: (step: Step, end: Date)?
            for input in current.inputs {
                guard !seen.contains(input), let step = state.step(input), let e = end(step) else { continue }
                if next.map({ e > $0.end }) ?? true { next = (step, e) }
            }
            guard let found = next?.step else { break }
            chain.append(found.digest)
            seen.insert(found.digest)
            current = found
        }
        return chain.reversed()
    }

    /// What speeding up `digest` is worth, by the steps' dependencies and durations: `gain`, how
    /// much sooner the build would end if the step took no time (0 off the critical path), and
    /// `slack`, how much longer it could have taken without delaying the end.
    static func slack(of digest: Digest, _ state: DashboardState) -> (gain: Double, slack: Double)? {
        guard state.step(digest) != nil else { return nil }
        let now = state.clock
        let order = topologicalOrder(state)
        var duration: [Digest: Double] = [:]
        for d in order { duration[d] = state.step(d)?.duration(now: now) ?? 0 }
        func longest(_ durations: [Digest: Double]) -> (end: Double, finish: [Digest: Double]) {
            var finish: [Digest: Double] = [:]
            for d in order {
                let start = (state.step(d)?.inputs ?? []).compactMap { finish[$0] }.max() ?? 0
                finish[d] = start + (durations[d] ?? 0)
            }
            return (finish.values.max() ?? 0, finish)
        }
        let (total, finish) = longest(duration)
        var without = duration
        without[digest] = 0
        let gain = total - longest(without).end
        // The longest chain after the step: the end minus the latest finish it could have.
        var dependents: [Digest: [Digest]] = [:]
        for d in order { for input in state.step(d)?.inputs ?? [] { dependents[input, default: []].append(d) } }
        var latest: [Digest: Double] = [:]
        for d in order.reversed() {
            latest[d] = (dependents[d] ?? []).map { (latest[$0] ?? total) - (duration[$0] ?? 0) }.min() ?? total
        }
        let slack = max(0, (latest[digest] ?? total) - (finish[digest] ?? 0))
        return (max(0, gain), slack)
    }

    /// Steps with every known input before them (Kahn's algorithm: linear in steps and edges,
    /// as this runs on every frame of the timeline).
    private static func topologicalOrder(_ state: DashboardState) -> [Digest] {
        var pending: [Digest: Int] = [:]
        var dependents: [Digest: [Digest]] = [:]
        for step in state.steps {
            let inputs = Set(step.inputs).filter { state.step($0) != nil && $0 != step.digest }
            pending[step.digest] = inputs.count
            for input in inputs { dependents[input, default: []].append(step.digest) }
        }
        var order = state.steps.map(\.digest).filter { pending[$0] == 0 }
        var next = 0
        while next < order.count {
            for d in dependents[order[next]] ?? [] {
                pending[d, default: 0] -= 1
                if pending[d] == 0 { order.append(d) }
            }
            next += 1
        }
        // A cycle cannot happen; were one there, its steps still come last rather than vanish.
        if order.count < state.steps.count {
            let placed = Set(order)
            order += state.steps.map(\.digest).filter { !placed.contains($0) }
        }
        return order
    }
}
