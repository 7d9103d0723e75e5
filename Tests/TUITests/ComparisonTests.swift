import BuildCore
import Foundation
import Testing
@testable import TUI

/// The comparison of two builds that `c` twice on the home screen opens: scrolling, going back,
/// and its screens against stored snapshots.
@Suite struct ComparisonTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    /// Builds A and B of a three-stage Dockerfile: B changed a build arg and a context file, so
    /// its COPY and the RUN after it missed the cache; a test step is new and B's RUN failed.
    static func diff(failing: Bool = false) -> HistoryDiff {
        func events(_ id: String, args: [String: String], greeting: String, runs: [(String, String, VertexCompletion.Status, Double, String?)],
                    offset: Double) -> [BuildEvent] {
            var t = offset
            func at(_ kind: BuildEvent.Kind) -> BuildEvent { BuildEvent(time: start.addingTimeInterval(t), kind) }
            var out = [at(.buildStarted(BuildStart(buildID: id, contextPath: "/src", dockerfilePath: "/src/Dockerfile",
                                                   dockerfileText: "FROM busybox\n", target: nil, buildArgs: args, tags: ["demo:latest"],
                                                   platform: "linux/amd64", noCache: false)))]
            let digests = runs.map { Digest.sha256($0.0 + $0.1 + id) }
            out.append(at(.plan(zip(runs, digests).map { run, digest in
                PlannedVertex(digest: digest, name: "[\(run.0)] \(run.1)", inputs: [], stage: String(run.0.split(separator: " ")[0]),
                              startLine: nil, endLine: nil)
            })))
            var cached = 0
            for (run, digest) in zip(runs, digests) {
                out.append(at(.vertexStarted(digest)))
                t += run.3
                let context = run.1.contains("greeting") ? [ReadSelection(selection: "greeting.txt", digest: Digest.sha256(greeting).value,
                                                                       files: ["greeting.txt": Digest.sha256(greeting).value])] : nil
                out.append(at(.vertexCompleted(VertexCompletion(digest: digest, status: run.2, duration: run.3, missReason: run.4,
                                                                error: run.2 == .failed ? "exit code 1" : nil, context: context))))
                if run.2 == .cached { cached += 1 }
            }
            let failed = runs.contains { $0.2 == .failed }
            out.append(at(.buildFinished(BuildFinish(status: failed ? .failed : .succeeded, duration: t - offset, steps: runs.count,
                                                     cachedSteps: cached, error: failed ? "exit code 1" : nil))))
            return out
        }
        let a = events("a1b2c3d4e5f60718293a", args: ["VERSION": "1"], greeting: "hi", runs: [
            ("base 1/3", "FROM docker.io/library/busybox:demo", .done, 0.01, nil),
            ("base 2/3", "COPY greeting.txt ./", .cached, 0, nil),
            ("base 3/3", "RUN make VERSION=$VERSION", .cached, 0, nil),
            ("app 1/1", "COPY --from=base /out /out", .cached, 0, nil),
        ], offset: 0)
        let b = events("f0e1d2c3b4a596877869", args: ["VERSION": "2"], greeting: "hello", runs: [
            ("base 1/3", "FROM docker.io/library/busybox:demo", .done, 0.01, nil),
            ("base 2/3", "COPY greeting.txt ./", .done, 0.12, "files changed: greeting.txt"),
            ("base 3/3", "RUN make VERSION=$VERSION", failing ? .failed : .done, 9.1, "input step re-ran: [base 2/3] COPY greeting.txt ./"),
            ("test 1/1", "RUN make test", .done, 2.5, "new step (not in the previous build)"),
        ] + (failing ? [] : [("app 1/1", "COPY --from=base /out /out", .cached, 0, nil)]), offset: 100)
        return HistoryDiff(a: "a1b2c3d4e5f60718293a", events: a, b: "f0e1d2c3b4a596877869", events: b)
    }

    static func state(_ diff: HistoryDiff = diff(), ascii: Bool = false, width: Int = 80, height: Int = 24) -> ComparisonState {
        var state = ComparisonState(diff: diff, ascii: ascii, colorEnabled: true)
        _ = state.apply(.resize(width: width, height: height))
        return state
    }

    @Test func scrollsWithinItsLinesAndGoesBackOnQOrEsc() {
        var state = Self.state(height: 12)
        let lines = ComparisonView.lines(state, width: 80).count
        _ = state.apply(.key(.char("G")))
        #expect(state.scroll == lines - 10, "the last page stays full")
        _ = state.apply(.key(.down))
        #expect(state.scroll == lines - 10)
        _ = state.apply(.key(.char("g")))
        #expect(state.scroll == 0)
        _ = state.apply(.key(.up))
        #expect(state.scroll == 0)
        _ = state.apply(.key(.pageDown))
        #expect(state.scroll == min(9, lines - 10), "a page is the body less a line of overlap")
        #expect(state.apply(.key(.char("q"))) == [.quit])
        #expect(state.apply(.key(.esc)) == [.quit])
        #expect(state.apply(.key(.char("x"))) == [])
    }

    @Test func theHeadlineSaysWhyBTookLonger() {
        let text = Self.state(width: 160, height: 48).render(width: 160, height: 48).text
        #expect(text.contains("B took 11.7s longer (+117200%): 2 steps missed the cache (build arg VERSION changed, greeting.txt modified), "
                              + "RUN make VERSION=$VERSION slower by 9.10s"), "\(text)")
        #expect(text.contains("only in B"))
    }

    @Test func anyTerminalSizeRenders() {
        for ascii in [false, true] {
            for (w, h) in [(0, 0), (1, 1), (10, 3), (40, 10), (80, 24)] {
                let grid = Self.state(Self.diff(failing: true), ascii: ascii, width: w, height: h).render(width: w, height: h)
                #expect(grid.width == w && grid.height == h)
                if ascii { #expect(grid.text.unicodeScalars.allSatisfy { $0.isASCII }, "\(w)x\(h)\n\(grid.text)") }
            }
        }
    }

    @Test func comparisonScreens() {
        Snapshot.assert(Self.state().render(width: 80, height: 24), named: "compare-80x24")
        Snapshot.assert(Self.state(width: 160, height: 48).render(width: 160, height: 48), named: "compare-160x48")
        Snapshot.assert(Self.state(Self.diff(failing: true), ascii: true, width: 120, height: 30).render(width: 120, height: 30),
                        named: "compare-failure-ascii-120x30")
    }
}
