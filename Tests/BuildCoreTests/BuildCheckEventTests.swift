import Foundation
import Testing
@testable import BuildCore

/// A build check as an event: printed as BuildKit and buildx print it, and kept whole through
/// rawjson and the build record.
@Suite struct BuildCheckEventTests {
    static let warning: BuildWarning = {
        let report = BuildChecker().check("FROM scratch AS Bad\nCMD echo \\\n  hi\n")
        return report.warnings[1].buildWarning(file: "Dockerfile")
    }()

    @Test func plainPrintsTheShortFormAndBuildxSummary() {
        let t = Date(timeIntervalSince1970: 0)
        let text = PlainProgressPrinter.render([
            BuildEvent(time: t, .warning(Self.warning)),
            BuildEvent(time: t, .buildFinished(BuildFinish(status: .succeeded, duration: 0, steps: 0, cachedSteps: 0))),
        ])
        let short = "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 2)"
        #expect(text == "WARNING: \(short)\n\n 1 warning found (use docker --debug to expand):\n - \(short)\n")
    }

    @Test func rawJSONCarriesDetailURLAndRangeAndDecodesBack() throws {
        let line = RawJSONEncoder.render([BuildEvent(time: Date(timeIntervalSince1970: 0), .warning(Self.warning))])
        let status = try JSONDecoder().decode(SolveStatus.self, from: Data(line.utf8))
        let w = try #require(status.warnings.first)
        #expect(w.level == 1)
        #expect(w.url == "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/")
        #expect(w.detail == [Data(CheckRule.jsonArgsRecommended.description.utf8)])
        #expect(w.range?.compactMap { $0.start?.line } == [2, 3])
        #expect(w.sourceInfo?.language == "Dockerfile")
        let back = RawJSONDecoder.decodeAll(Data(line.utf8)).events.compactMap { e -> BuildWarning? in
            if case .warning(let w) = e.kind { w } else { nil }
        }
        var expected = Self.warning
        expected.file = "Dockerfile"
        #expect(back == [expected])
    }

    @Test func recordLineKeepsEveryField() throws {
        let event = BuildEvent(time: Date(timeIntervalSince1970: 1), .warning(Self.warning))
        var bytes: [UInt8] = []
        event.appendRecordLine(to: &bytes)
        var decoder = RecordLineDecoder()
        let decoded = bytes.withUnsafeBufferPointer { decoder.decode($0) }
        guard case .warning(let w)? = decoded?.kind else {
            Issue.record("no warning decoded")
            return
        }
        #expect(w == Self.warning)
        // A record written before build checks existed still decodes.
        let old = Array(#"{"time":"1970-01-01T00:00:01Z","type":"warning","message":"old"}"#.utf8)
        let oldEvent = old.withUnsafeBufferPointer { decoder.decode($0) }
        guard case .warning(let o)? = oldEvent?.kind else {
            Issue.record("old warning not decoded")
            return
        }
        #expect(o.message == "old" && o.rule == nil)
    }

    @Test func checkReportPrintsLikeBuildx() {
        let source = "FROM scratch AS Bad\nCOPY a b\n"
        let report = BuildChecker().check(source)
        #expect(report.text(source: source, fileName: "Dockerfile") == """
            Check complete, 1 warning has been found!

            WARNING: StageNameCasing - https://docs.docker.com/go/dockerfile/rule/stage-name-casing/
            Stage name 'Bad' should be lowercase
            Dockerfile:1
            --------------------
               1 | >>> FROM scratch AS Bad
               2 |     COPY a b
               3 |     
            --------------------

            """)
        #expect(BuildChecker().check("FROM scratch\n").text(source: "FROM scratch\n", fileName: "Dockerfile")
            == "Check complete, no warnings found.\n")
    }
}
