import BuildCore
import Foundation
@testable import TUI

/// Short constructors for hand-made event sequences, at fixed times after `t0`.
enum Events {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func digest(_ name: String) -> Digest { Digest.sha256("test:" + name) }

    static func at(_ seconds: Double, _ kind: BuildEvent.Kind) -> DashboardMessage {
        .event(BuildEvent(time: t0.addingTimeInterval(seconds), kind))
    }

    static func vertex(_ id: String, _ name: String, stage: String? = nil, inputs: [String] = [],
                       line: Int? = nil) -> PlannedVertex {
        PlannedVertex(digest: digest(id), name: name, inputs: inputs.map(digest), stage: stage, startLine: line, endLine: line)
    }

    static func started(_ id: String, at s: Double) -> DashboardMessage { at(s, .vertexStarted(digest(id))) }

    static func completed(_ id: String, at s: Double, _ status: VertexCompletion.Status = .done, duration: Double = 1,
                          miss: String? = nil, error: String? = nil) -> DashboardMessage {
        at(s, .vertexCompleted(VertexCompletion(digest: digest(id), status: status, duration: duration, missReason: miss, error: error)))
    }

    static func log(_ id: String, at s: Double, _ text: String, stream: Int = 1) -> DashboardMessage {
        at(s, .log(LogChunk(digest: digest(id), stream: stream, data: Data(text.utf8))))
    }

    static func finished(at s: Double, _ status: BuildFinish.Status, error: String? = nil) -> DashboardMessage {
        at(s, .buildFinished(BuildFinish(status: status, duration: s, steps: 0, cachedSteps: 0, error: error)))
    }

    static func start(dockerfile: String = "FROM busybox\nRUN true\n") -> DashboardMessage {
        at(0, .buildStarted(BuildStart(buildID: "t", contextPath: "/ctx", dockerfilePath: "/ctx/Dockerfile",
                                       dockerfileText: dockerfile, target: nil, buildArgs: [:], tags: ["t:latest"],
                                       platform: "linux/amd64", noCache: false)))
    }
}

extension DashboardState {
    /// A state after `messages`, 80×24 unless resized.
    static func after(_ messages: [DashboardMessage], limits: LogLimits = LogLimits()) -> DashboardState {
        var state = DashboardState(limits: limits)
        state.feed(messages)
        return state
    }

    /// Applies messages; returns the effects of all of them.
    @discardableResult
    mutating func feed(_ messages: [DashboardMessage]) -> [DashboardEffect] {
        messages.flatMap { apply($0) }
    }

    @discardableResult
    mutating func press(_ keys: Key...) -> [DashboardEffect] {
        keys.flatMap { apply(.key($0)) }
    }

    /// Typed text, one key per character.
    @discardableResult
    mutating func type(_ text: String) -> [DashboardEffect] {
        text.flatMap { apply(.key(.char($0))) }
    }

    /// The visible text of a step's committed lines.
    func lines(_ id: String) -> [String] {
        guard let step = step(Events.digest(id)) else { return [] }
        return (step.log.firstNumber..<step.log.endNumber).compactMap { step.log.line($0)?.text }
    }
}
