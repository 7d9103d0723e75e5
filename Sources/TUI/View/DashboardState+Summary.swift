import BuildCore
import Foundation

/// The text left in the terminal after the dashboard closes, like buildx's final frame: every
/// stage's steps with how each ended and how long it took, then the totals and outputs. Plain
/// ASCII without escapes, so it reads the same in a log file.
extension DashboardState {
    public func summary() -> String {
        var out: [String] = []
        let word: String
        switch status {
        case .running: word = cancelRequested ? "CANCELING" : "RUNNING"
        case .succeeded: word = "FINISHED"
        case .failed: word = "FAILED"
        case .canceled: word = "CANCELED"
        }
        let ended = steps.filter { $0.status.isEnded }.count
        let name = build.map { $0.tags.first ?? $0.target.map { "--target " + $0 } ?? $0.contextPath } ?? "build"
        out.append("[+] \(name) \(word) \(DurationText.format(elapsed ?? 0)) (\(ended)/\(steps.count))")
        for lane in lanes {
            out.append(" \(lane.title)")
            for digest in lane.steps {
                guard let step = step(digest) else { continue }
                let label: String
                switch step.status {
                case .queued: label = "NOT RUN"
                case .running: label = "RUNNING"
                case .done: label = "DONE"
                case .cached: label = "CACHED"
                case .failed: label = "ERROR"
                case .canceled: label = "CANCELED"
                }
                let time = step.status == .cached || step.status == .queued
                    ? "" : step.duration(now: clock).map(DurationText.format) ?? ""
                out.append(" => " + label.padding(toLength: 9, withPad: " ", startingAt: 0)
                           + String(repeating: " ", count: max(0, 6 - time.count)) + time + "  " + step.name)
                if step.status == .failed, let error = step.error {
                    for line in error.split(separator: "\n").prefix(ErrorPanel.maxErrorRows) { out.append("      " + line) }
                }
            }
        }
        var counts: [String] = []
        for (status, label) in [(Step.Status.done, "done"), (.cached, "cached"), (.failed, "failed"), (.canceled, "canceled")] {
            let n = count(status)
            if n > 0 || status == .done || status == .cached { counts.append("\(n) \(label)") }
        }
        out.append(" total \(DurationText.format(elapsed ?? 0)): \(steps.count) step\(steps.count == 1 ? "" : "s"), " + counts.joined(separator: ", "))
        if warningCount > 0 { out.append(" \(warningCount) warning\(warningCount == 1 ? "" : "s")") }
        if let result {
            if let digest = result.imageDigest { out.append(" image \(digest)") }
            for output in result.outputs { out.append(" output \(output)") }
            if let error = result.error, status != .succeeded {
                out.append("ERROR: " + (error.split(separator: "\n").first.map(String.init) ?? error))
            }
        }
        return out.map { TerminalText.clean(Array($0.utf8)[...]) }.joined(separator: "\n") + "\n"
    }
}
