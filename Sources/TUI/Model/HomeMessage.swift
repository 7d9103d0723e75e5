import Foundation

/// Everything that can change the home screen. As with the dashboard, the clock comes in as a
/// message, so `HomeState.apply` and `render` stay pure.
public enum HomeMessage: Sendable, Equatable {
    case key(Key)
    /// The current time: "started 2m ago" and "3h ago" are measured from it.
    case tick(Date)
    case resize(width: Int, height: Int)
}
