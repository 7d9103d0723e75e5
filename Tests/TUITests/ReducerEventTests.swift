import BuildCore
import Foundation
import Testing
@testable import TUI

/// Event orders as BuildKit and our solver produce them, including the awkward ones.
@Suite struct ReducerEventTests {
    typealias E = Events

    @Test func planOrdersLanesAndSteps() {
        let state = DashboardState.after([
            E.start(),
            E.at(0, .plan([
                E.vertex("ctx", "[internal] load build context"),
                E.vertex("b1", "[base 1/2] FROM busybox", stage: "base"),
                E.vertex("b2", "[base 2/2] RUN true", stage: "base", inputs: ["b1"]),
                E.vertex("a1", "[app 1/1] COPY --from=base / /", stage: "app", inputs: ["b2"]),
            ])),
            E.at(5, .plan([E.vertex("exp", "exporting to image", inputs: ["a1"])])),
        ])
        #expect(state.lanes.map(\.title) == ["internal", "base", "app"])
        #expect(state.lanes[0].steps == [E.digest("ctx"), E.digest("exp")])
        #expect(state.lanes[1].steps == [E.digest("b1"), E.digest("b2")])
        #expect(state.steps.allSatisfy { $0.status == .queued })
    }

    @Test func resentVerticesKeepTheirPlaceAndTakeTheNewName() {
        var state = DashboardState.after([
            E.at(0, .plan([E.vertex("a", "[s 1/2] FROM x", stage: "s"), E.vertex("b", "[s 2/2] RUN y", stage: "s")])),
        ])
        state.feed([E.at(1, .plan([E.vertex("a", "[s 1/2] FROM docker.io/library/x", stage: "s")]))])
        #expect(state.steps.count == 2)
        #expect(state.displayOrder == [E.digest("a"), E.digest("b")])
        #expect(state.step(E.digest("a"))?.name == "[s 1/2] FROM docker.io/library/x")
    }

    @Test func severalStartIntervals() {
        var state = DashboardState.after([
            E.at(0, .plan([E.vertex("v", "[s 1/1] RUN flaky", stage: "s")])),
            E.started("v", at: 1),
            E.completed("v", at: 2, .done, duration: 1),
            E.started("v", at: 3),
        ])
        var step = state.step(E.digest("v"))
        #expect(step?.status == .running)
        #expect(step?.intervals.count == 2)
        state.feed([E.at(4, .vertexCompleted(VertexCompletion(digest: E.digest("v"), status: .done, duration: 2)))])
        step = state.step(E.digest("v"))
        #expect(step?.status == .done)
        #expect(step?.duration(now: nil) == 2)
        #expect(step?.intervals.map { $0.end != nil } == [true, true])
    }

    @Test func aSecondStartBeforeTheFirstEndsKeepsBothIntervals() {
        let state = DashboardState.after([
            E.started("v", at: 1), E.started("v", at: 2), E.completed("v", at: 1.5, duration: 0.5),
        ])
        // The completion at 1.5 closes the first run only; the second still runs.
        let step = state.step(E.digest("v"))
        #expect(step?.status == .running)
        #expect(step?.intervals.count == 2)
        #expect(step?.isOpen == true)
    }

    @Test func canceledSteps() {
        let state = DashboardState.after([
            E.at(0, .plan([E.vertex("a", "[s 1/3] RUN a", stage: "s"), E.vertex("b", "[s 2/3] RUN b", stage: "s"),
                           E.vertex("c", "[s 3/3] RUN c", stage: "s"), E.vertex("d", "[t 1/1] RUN d", stage: "t")])),
            E.started("a", at: 0), E.started("b", at: 0), E.started("d", at: 0),
            E.completed("a", at: 1, .failed, error: "exit code: 1"),
            E.completed("b", at: 1, .canceled),
            E.completed("d", at: 1, .failed, error: "rpc error: context canceled"),
            E.finished(at: 1.1, .failed, error: "exit code: 1"),
        ])
        #expect(state.step(E.digest("a"))?.status == .failed)
        #expect(state.step(E.digest("b"))?.status == .canceled)
        #expect(state.step(E.digest("d"))?.status == .canceled, "an error ending in context canceled is a cancel")
        #expect(state.step(E.digest("c"))?.status == .queued, "never started")
        #expect(state.status == .failed && state.finished)
    }

    @Test func stepsStillRunningAtTheEndOfAFailedBuildAreCanceled() {
        let state = DashboardState.after([
            E.started("a", at: 0), E.started("b", at: 0),
            E.completed("a", at: 1, .failed, error: "boom"),
            E.finished(at: 2, .failed, error: "boom"),
        ])
        let b = state.step(E.digest("b"))
        #expect(b?.status == .canceled)
        #expect(b?.intervals.last?.end == E.t0.addingTimeInterval(2))
    }

    @Test func logsBeforeThePlan() {
        let state = DashboardState.after([
            E.log("v", at: 0.1, "early line\n"),
            E.at(0.2, .plan([E.vertex("u", "[s 1/2] FROM x", stage: "s"), E.vertex("v", "[s 2/2] RUN y", stage: "s")])),
            E.started("v", at: 0.3),
            E.log("v", at: 0.4, "late line\n"),
        ])
        #expect(state.lines("v") == ["early line", "late line"])
        #expect(state.lanes.map(\.title) == ["s"])
        #expect(state.displayOrder == [E.digest("u"), E.digest("v")], "the plan's order wins over first sight")
    }

    @Test func unknownVerticesAreCreatedOnTheFly() {
        let state = DashboardState.after([
            E.at(0, .plan([E.vertex("a", "[s 1/1] RUN a", stage: "s")])),
            E.started("ghost", at: 1),
            E.log("ghost", at: 1.5, "boo\n"),
            E.at(1.6, .progress(ProgressUpdate(digest: E.digest("other"), id: "x", current: 1, total: 2, completed: false))),
            E.completed("ghost", at: 2),
        ])
        let ghost = state.step(E.digest("ghost"))
        #expect(ghost?.name == E.digest("ghost").short)
        #expect(ghost?.lane == .internal)
        #expect(ghost?.status == .done)
        #expect(state.steps.count == 3)
        #expect(state.lanes.first?.steps == [E.digest("ghost"), E.digest("other")], "unplanned vertices are internal")
    }

    @Test func stagesReadFromBuildKitNamesWhenThePlanHasNone() {
        #expect(Lane.key(name: "[build 2/5] RUN make", stage: nil) == .stage("build"))
        #expect(Lane.key(name: "[2/5] RUN make", stage: nil) == .stage("stage-0"))
        #expect(Lane.key(name: "[internal] load metadata for docker.io/library/alpine", stage: "base") == .internal)
        #expect(Lane.key(name: "exporting to image", stage: nil) == .internal)
        #expect(Lane.key(name: "[my stage 1/2] FROM x", stage: nil) == .stage("my stage"))
    }

    @Test func failureSelectsTheFailedStepAndSuccessFinishes() {
        let failed = DemoBuild(.failed).state()
        #expect(failed.selected == DemoBuild.makeTest)
        #expect(failed.selectionPinned)
        #expect(failed.finished && failed.status == .failed)
        #expect(failed.selectedFailure?.error == DemoBuild.failure)

        let ok = DemoBuild(.succeeded).state()
        #expect(ok.finished && ok.status == .succeeded)
        #expect(ok.steps.allSatisfy { $0.status == .done || $0.status == .cached })
    }

    @Test func selectionFollowsTheLiveStepUntilTheUserPicks() {
        var state = DashboardState.after([E.started("a", at: 0), E.started("b", at: 1)])
        #expect(state.selected == E.digest("a"), "a still runs, so the selection stays")
        state.feed([E.completed("a", at: 2), E.log("b", at: 2.1, "hi\n")])
        #expect(state.selected == E.digest("b"))
        state.press(.up)
        state.feed([E.completed("b", at: 3), E.started("c", at: 3)])
        #expect(state.selected == E.digest("a"), "pinned by the key")
    }

    @Test func warningsGoToTheirStepOrTheBuild() {
        let state = DashboardState.after([
            E.started("a", at: 0),
            E.at(0.5, .warning(BuildWarning(message: "deprecated flag", digest: E.digest("a")))),
            E.at(0.6, .warning(BuildWarning(message: "FromAsCasing", file: "Dockerfile", line: 1))),
        ])
        #expect(state.lines("a") == ["WARN: deprecated flag"])
        #expect(state.warnings.count == 1)
        #expect(state.warningCount == 2)
    }

    @Test func byteProgressIsTracked() {
        let state = DemoBuild(.succeeded).state(until: 2.4)
        let progress = state.step(DemoBuild.download)?.activeProgress
        #expect(progress?.id == "downloading")
        #expect(progress?.total == 48_400_000)
        #expect(state.step(DemoBuild.download)?.status == .running)
    }

    @Test func etaUsesHistoryAndParallelism() {
        let state = DemoBuild(.succeeded).state(until: 2.4)
        let eta = BuildEstimate(state)
        // builder: make 5.0 - 1.7 ran = 3.3, then make test 2.5 → 5.8; tester: 2.0 - 1.7 + 5.0 = 5.3.
        #expect(eta.map { abs($0.seconds - 5.8) < 0.01 } == true)
        #expect(eta?.isLowerBound == true, "the final COPY and the export have no history")
        #expect(BuildEstimate(DemoBuild(.succeeded).state()) == nil, "no ETA once finished")
    }

    @Test func criticalPathFollowsTheInputsThatEndedLast() {
        let state = DemoBuild(.succeeded).state()
        #expect(CriticalPath.steps(state) == [DemoBuild.metadata, DemoBuild.base1, DemoBuild.base2, DemoBuild.base3,
                                               DemoBuild.make, DemoBuild.makeTest, DemoBuild.copyApp, DemoBuild.export])
    }

    @Test func tickMovesLiveDurationsAndElapsed() {
        var state = DashboardState.after([E.start(), E.started("a", at: 1)])
        state.feed([.tick(E.t0.addingTimeInterval(4))])
        #expect(state.elapsed == 4)
        #expect(state.step(E.digest("a"))?.duration(now: state.clock) == 3)
    }
}
