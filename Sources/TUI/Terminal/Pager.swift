import BuildCore
import Foundation

/// `o`: a step's whole log in the user's pager. The lines go to a private temp file (mode
/// 0600, removed afterwards); `$PAGER` runs through `sh` as git and man run it, `less +G`
/// (open at the end) when it is unset.
enum Pager {
    static func show(_ lines: [StepLog.Line], title: String, on screen: CursesScreen) {
        let path = NSTemporaryDirectory() + "swbuild-log-" + UUID().uuidString.lowercased() + ".txt"
        var text = "# " + title + "\n"
        for line in lines { text += line.text + "\n" }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            return
        }
        defer { unlink(path) }
        let pager = ProcessInfo.processInfo.environment["PAGER"].flatMap { $0.isEmpty ? nil : $0 } ?? "less +G"
        screen.suspend {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", pager + " \"$1\"", "pager", path]
            do {
                try process.run()
                process.waitUntilExit()
            } catch {
                FileHandle.standardError.write(Data("cannot run \(pager): \(error)\n".utf8))
            }
        }
    }
}
