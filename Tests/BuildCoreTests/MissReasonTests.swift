import Foundation
import Testing
@testable import BuildCore

/// Every step that runs instead of coming from the cache says why before it runs, and its
/// completion says so again, whether it succeeds or fails.
@Suite(.serialized) struct MissReasonTests {
    @Test func theReasonComesBeforeTheStepRunsAndStaysOnAFailure() async throws {
        guard getuid() == 0 else { Issue.record("the solver mounts overlayfs and must run as root"); return }
        let h = SolverTests.Harness()
        _ = try await h.build("FROM base\nARG VERSION=1\nRUN write /a x\n")
        do {
            _ = try await h.build("FROM base\nARG VERSION=1\nRUN write /a x\nRUN fail 3\n", args: ["VERSION": "2"])
            Issue.record("expected a failure")
        } catch is SolveError {}
        let events = h.lastEvents
        let misses = events.compactMap { e -> CacheMiss? in if case .cacheMiss(let m) = e.kind { return m }; return nil }
        #expect(misses.count == 2, "\(misses)")
        for miss in misses {
            let started = events.firstIndex { if case .vertexStarted(let d) = $0.kind { return d == miss.digest }; return false }
            let told = events.firstIndex { if case .cacheMiss(let m) = $0.kind { return m.digest == miss.digest }; return false }
            let ran = events.firstIndex { e in
                switch e.kind {
                case .log(let l): return l.digest == miss.digest
                case .vertexCompleted(let c): return c.digest == miss.digest
                default: return false
                }
            }
            #expect(started != nil && told != nil && ran != nil)
            if let started, let told, let ran { #expect(started < told && told < ran, "\(miss)") }
        }
        let failed = try #require(SolverTests.completions(events).first { $0.status == .failed })
        #expect(failed.missReason == "new step (not in the previous build)")
        #expect(misses.contains { $0.digest == failed.digest && $0.reason == failed.missReason })
        #expect(misses.contains { $0.reason == "build arg VERSION changed: \"1\" → \"2\"" })
        // The record's step rows have it too, and the line survives the record format.
        #expect(StepRow.rows(from: events).first { $0.status == .failed }?.missReason == "new step (not in the previous build)")
        for miss in misses {
            let event = BuildEvent(time: Date(timeIntervalSince1970: 1_714_564_800), .cacheMiss(miss))
            #expect(BuildRecord.decodeLine(BuildRecord.line(for: event)) == event)
        }
    }
}
