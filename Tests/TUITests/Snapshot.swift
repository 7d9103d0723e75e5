import Foundation
import Testing
@testable import TUI

/// Compares a rendered grid with its stored snapshot under `Tests/Fixtures/dashboard/`: the
/// screen text (`NAME.txt`) and its style mask (`NAME.style.txt`, one `Style.maskCharacter` per
/// cell). With `SWBUILD_RECORD_SNAPSHOTS=1` the files are rewritten instead, so snapshots are
/// re-recorded only on purpose, and the diff then shows what changed on screen.
enum Snapshot {
    static var recording: Bool { ProcessInfo.processInfo.environment["SWBUILD_RECORD_SNAPSHOTS"] == "1" }

    /// The fixture folder, found from this source file so tests run from any directory.
    static func directory(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/dashboard", isDirectory: true)
    }

    static func assert(_ grid: CellGrid, named name: String, filePath: String = #filePath,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let dir = directory(filePath: filePath)
        let textURL = dir.appendingPathComponent(name + ".txt")
        let maskURL = dir.appendingPathComponent(name + ".style.txt")
        let text = grid.text + "\n"
        let mask = grid.styleMask + "\n"
        if recording {
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: textURL)
                try Data(mask.utf8).write(to: maskURL)
            } catch {
                Issue.record("cannot record snapshot \(name): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let storedText = try? String(contentsOf: textURL, encoding: .utf8),
              let storedMask = try? String(contentsOf: maskURL, encoding: .utf8) else {
            Issue.record("no snapshot \(name) in \(dir.path): run with SWBUILD_RECORD_SNAPSHOTS=1 to record it",
                         sourceLocation: sourceLocation)
            return
        }
        #expect(text == storedText, "screen \(name) differs from \(textURL.lastPathComponent)\n\(text)", sourceLocation: sourceLocation)
        #expect(mask == storedMask, "styles of \(name) differ from \(maskURL.lastPathComponent)\n\(mask)", sourceLocation: sourceLocation)
    }
}
