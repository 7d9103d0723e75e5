import BuildCore
import Foundation
import Testing
@testable import TUI

/// The source view (`s`): lines with their steps, warning markers, names under the cursor,
/// enter to a log and `e` to the failed line.
struct SourceViewTests {
    static let dockerfile = """
        ARG VERSION=1.2
        FROM busybox AS base
        RUN echo $VERSION
        FROM base
        RUN make
        """

    static func build(failing: Bool = true) -> DashboardState {
        var state = DashboardState.after([
            .resize(width: 100, height: 30),
            Events.start(dockerfile: dockerfile),
            Events.at(0, .plan([Events.vertex("from", "[base 1/2] FROM busybox", stage: "base", line: 2),
                                Events.vertex("echo", "[base 2/2] RUN echo $VERSION", stage: "base", inputs: ["from"], line: 3),
                                Events.vertex("make", "[stage-1 1/1] RUN make", stage: "stage-1", inputs: ["echo"], line: 5)])),
            Events.started("from", at: 0.1), Events.completed("from", at: 0.2),
            Events.started("echo", at: 0.2), Events.completed("echo", at: 0.3, .cached, duration: 0),
            Events.started("make", at: 0.3),
            Events.at(0.4, .warning(BuildWarning(message: "StageNameCasing: Stage name 'base' should be lowercase", line: 2))),
        ])
        if failing {
            state.feed([Events.completed("make", at: 2.5, .failed, duration: 2.2, miss: "--no-cache", error: "exit code: 2"),
                        Events.finished(at: 2.6, .failed, error: "exit code: 2")])
        }
        return state
    }

    @Test func linesShowTheirStepsCacheAndWarnings() {
        var state = Self.build()
        state.press(.char("s"))
        let text = state.render(width: 100, height: 30).text
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("2 ✔   1.0s") && $0.contains("⚠") && $0.contains("FROM busybox AS base") }, "\(text)")
        #expect(lines.contains { $0.contains("3 =   0.0s CACHED") && $0.contains("RUN echo $VERSION") }, "\(text)")
        #expect(lines.contains { $0.contains("5 ✘   2.2s ERROR") && $0.contains("RUN make") }, "\(text)")
    }

    @Test func theCursorLineExplainsArgsStagesAndWarnings() {
        var state = Self.build()
        state.press(.char("s"))
        state.press(.home, .down, .down)   // line 3: RUN echo $VERSION
        var text = state.render(width: 100, height: 30).text
        #expect(text.contains("VERSION=1.2  (ARG default, line 1)"), "\(text)")
        #expect(text.contains("[base 2/2] RUN echo $VERSION  cached"), "\(text)")
        state.press(.up)                   // line 2: the stage and its warning
        text = state.render(width: 100, height: 30).text
        #expect(text.contains("stage base: line 2, FROM busybox"), "\(text)")
        #expect(text.contains("⚠ StageNameCasing: Stage name 'base' should be lowercase"), "\(text)")
    }

    @Test func eGoesToTheFailedLineAndEnterToItsLog() {
        var state = Self.build()
        state.press(.char("s"), .home)
        state.press(.char("e"))
        #expect(state.sourceCursor == 4 && state.screen == .source)
        #expect(state.render(width: 100, height: 30).text.contains("exit code: 2"))
        state.press(.enter)
        #expect(state.screen == .build && state.logMaximised && state.selected == Events.digest("make"))
    }

    @Test func aBuildArgGivenOnTheCommandLineWins() {
        var state = DashboardState.after([.resize(width: 100, height: 30),
            Events.at(0, .buildStarted(BuildStart(buildID: "t", contextPath: "/c", dockerfilePath: "/c/Dockerfile",
                                                  dockerfileText: Self.dockerfile, target: nil, buildArgs: ["VERSION": "2.0"],
                                                  tags: [], platform: "linux/amd64", noCache: false)))])
        state.press(.char("s"), .down, .down)
        #expect(state.render(width: 100, height: 30).text.contains("VERSION=2.0  (--build-arg)"))
    }
}
