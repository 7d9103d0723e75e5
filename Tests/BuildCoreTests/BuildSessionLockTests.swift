import Foundation
import Testing
@testable import BuildCore

/// A build session's runtime state goes when the session ends; what a failed container delete
/// leaves behind is swept by the next build.
@Suite struct BuildSessionLockTests {
    @Test func runtimeStateGoesWithTheSessionAndLeftoversWithTheNextSweep() throws {
        let state = TempDirectory("session")
        let root = StateRoot(path: state.path)
        var session: BuildSessionLock? = try BuildSessionLock(root: root, id: "ended")
        let runtimeState = try #require(session?.runtimeStateDirectory)
        #expect(runtimeState == state.path + "/runc/ended")
        // The executor makes it at the first RUN; each container's delete empties it again.
        try FileManager.default.createDirectory(atPath: runtimeState, withIntermediateDirectories: true)
        session = nil
        #expect(!FileManager.default.fileExists(atPath: runtimeState))
        #expect(!FileManager.default.fileExists(atPath: state.path + "/run/ended"))

        // A container whose delete failed keeps its session's state until the next build's sweep.
        var failed: BuildSessionLock? = try BuildSessionLock(root: root, id: "leftover")
        let leftover = try #require(failed?.runtimeStateDirectory)
        try FileManager.default.createDirectory(atPath: leftover + "/swb-0123456789abcdef", withIntermediateDirectories: true)
        failed = nil
        #expect(FileManager.default.fileExists(atPath: leftover + "/swb-0123456789abcdef"))
        BuildSessionLock.cleanUpStale(root: root)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }
}
