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
}
