import BuildCore
import Foundation
import Testing
@testable import TUI

@Suite struct SummaryTests {
    @Test func successSummaryListsEveryStageAndTheTotal() {
        let text = DemoBuild(.succeeded).state().summary()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "[+] demo:latest FINISHED 9.8s (11/11)")
        #expect(lines.contains(" base"))
        #expect(lines.contains(" => CACHED           [base 2/3] RUN mkdir /app"))
        #expect(lines.contains(" => DONE       5.5s  [builder 1/2] RUN make -C /app"))
        #expect(lines.contains(" total 9.8s: 11 steps, 8 done, 3 cached"))
        #expect(lines.contains(" image sha256:" + String(repeating: "ab", count: 32)))
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
    }

    @Test func failureSummaryShowsTheErrorUnderItsStep() {
        let lines = DemoBuild(.failed).state().summary().split(separator: "\n").map(String.init)
        #expect(lines.first == "[+] demo:latest FAILED 8.5s (9/10)")
        guard let i = lines.firstIndex(of: " => ERROR      2.2s  [builder 2/2] RUN make -C /app test") else {
            Issue.record("no ERROR line in \(lines)")
            return
        }
        #expect(lines[i + 1] == "      " + DemoBuild.failure)
        #expect(lines.contains(" => NOT RUN          [stage-3 1/1] COPY --from=builder /app /app"))
        #expect(lines.last == "ERROR: " + DemoBuild.failure)
    }
}
