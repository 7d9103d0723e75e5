import BuildCore
import Foundation

/// Everything that can change the dashboard. The clock comes in as a message too (`tick`), so
/// `reduce` and `render` stay pure: the same messages always give the same screens.
public enum DashboardMessage: Sendable, Equatable {
    /// An event of the build being watched, in the order the engine sent it.
    case event(BuildEvent)
    /// Several events at once, in order (what arrived since the last frame): the same as each
    /// as an `.event`, but a flood of output is cut into lines only where it will be seen.
    case events([BuildEvent])
    case key(Key)
    /// The current time; it drives elapsed times, live durations and the spinner frame.
    case tick(Date)
    /// The terminal's size in cells. Paging and mouse hit-testing use the last one received.
    case resize(width: Int, height: Int)
    /// Lines asked for with `.readLog`.
    case olderLines(ReadBackLines)
    /// Lines asked for with `.searchLog`.
    case olderMatches(OlderMatches)
    /// The layers asked for with `.openLayers`, ready to explore.
    case layersOpened(LayerExplorer)
    /// `.openLayers` could not read them (the message says why).
    case layersFailed(String)
}
