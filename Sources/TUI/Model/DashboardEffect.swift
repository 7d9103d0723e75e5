import BuildCore
import Foundation

/// What the reducer asks its caller to do. The reducer itself never performs I/O: the terminal
/// layer carries these out.
public enum DashboardEffect: Sendable, Equatable {
    /// Leave the dashboard (the build is over, or the user said so).
    case quit
    /// The user confirmed canceling the running build. The dashboard stays open until the
    /// build's `buildFinished` event arrives, so the user sees the canceled state.
    case cancelBuild
    /// The "cancel the build? y/n" question is now on screen.
    case confirmQuit
    /// Nothing to do for that key (no search match, no error to jump to): ring the bell.
    case bell
    /// A replay key moved the playback: show the recorded build as it was at this time.
    case replayTo(Date)
    /// The log pane needs these lines of a step, older than it keeps: read them back from the
    /// build's events and send them in as `.olderLines`.
    case readLog(Digest, Range<Int>)
    /// A search was entered on a step with lines on disk: find the lines before `below` that
    /// match `query` and send them in as `.olderMatches`.
    case searchLog(Digest, query: String, below: Int)
    /// `l` on a step: read these layers' file lists (bottom first) and send them in as
    /// `.layersOpened`, titled with the step's name.
    case openLayers(title: String, layers: [String])
}
