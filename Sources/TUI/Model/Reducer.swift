import BuildCore
import Foundation

/// The dashboard's update function: applies one message to the state and returns the effects
/// the caller must carry out. Pure: no clock (time arrives as `.tick`), no I/O, no randomness,
/// so a recorded message list always replays to the same state. `DashboardState.apply` calls it.
public func reduce(_ state: inout DashboardState, _ message: DashboardMessage) -> [DashboardEffect] {
    switch message {
    case .event(let event):
        state.handle(event)
        return state.readBackIfNeeded()
    case .events(let batch):
        state.handle(batch: batch)
        return state.readBackIfNeeded()
    case .key(let key):
        return state.handle(key) + state.readBackIfNeeded()
    case .tick(let date):
        state.now = date
        return state.retryReadBack(at: date)
    case .resize(let width, let height):
        state.width = max(0, width)
        state.height = max(0, height)
        return state.readBackIfNeeded()
    case .olderLines(let lines):
        state.receive(lines)
        return []
    case .olderMatches(let matches):
        state.receive(matches)
        return state.readBackIfNeeded()
    case .layersOpened(var explorer):
        explorer.page = state.explorerPage
        state.explorer = explorer
        return []
    case .layersFailed(let message):
        state.flash = message
        return []
    }
}
