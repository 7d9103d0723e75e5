import BuildCore
import CNCurses
import Foundation

/// `swbuild-tui layers IMAGE` in a terminal: the layer explorer on its own, until `q`.
public enum LayerExplorerRunner {
    public static func run(_ explorer: LayerExplorer, options: DashboardRunner.Options) {
        var explorer = explorer
        let screen = DashboardRunner.openScreen(options)
        defer { screen.restore() }
        var (width, height) = screen.size
        var dirty = true
        while !screen.terminalGone {
            explorer.page = LayerExplorerView.listHeight(height)
            if dirty {
                var grid = CellGrid(width: width, height: height)
                LayerExplorerView.draw(explorer, rect: Rect(x: 0, y: 0, width: width, height: height), ascii: options.ascii,
                                       into: &grid)
                screen.paint(grid)
                dirty = false
            }
            guard let raw = screen.readKey(timeout: 200) else { continue }
            dirty = true
            if raw == .resize {
                (width, height) = screen.size
            } else if let key = KeyMapping.key(raw) {
                if !explorer.handle(DashboardState.normalized(key)) { return }
            }
        }
    }
}
