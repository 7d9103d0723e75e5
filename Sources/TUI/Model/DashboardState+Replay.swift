import BuildCore
import Foundation

/// Moving a replay back in time: the build's part of the state comes from an earlier state
/// (a checkpoint reduced forward), the user's part (screen, pane, step, log position, search,
/// display options, the playback) is carried over, so seeking never changes what one looks at.
extension DashboardState {
    /// Takes what `other` shows and how: everything but the build itself.
    ///
    /// A step the user picked stays selected when it exists at this point of the build;
    /// otherwise the selection is this state's own, as the events made it, so that seeking to a
    /// time shows what a replay played to that time would show.
    mutating func adoptView(of other: DashboardState) {
        width = other.width
        height = other.height
        focus = other.focus
        screen = other.screen
        sourceCursor = other.sourceCursor
        showHelp = other.showHelp
        explorer = other.explorer
        canOpenLayers = other.canOpenLayers
        logMaximised = other.logMaximised
        scroll = other.scroll
        flash = other.flash
        playback = other.playback
        confirmingQuit = other.confirmingQuit
        cancelRequested = other.cancelRequested
        if other.selectedByUser, let picked = other.selected, stepIndex[picked] != nil {
            selected = picked
            selectionPinned = true
            selectedByUser = true
        }
        log = other.log
        // Another step than the one on screen: its log from the end, as for a new selection.
        if selected != other.selected { log.reset() }
        let currentLine = log.current.flatMap { $0 < log.matches.count ? log.matches[$0] : nil }
        recomputeMatches()
        if let currentLine, let i = log.matches.firstIndex(of: currentLine) { log.current = i }
    }
}
