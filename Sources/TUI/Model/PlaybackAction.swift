import Foundation

/// What moving the playback asks its caller to do.
enum PlaybackAction: Sendable, Equatable {
    /// Show the build as it was at this time (forward or back).
    case show(Date)
    /// Nothing to do (no mark that way, no faster speed, already there): ring the bell.
    case bell
}
