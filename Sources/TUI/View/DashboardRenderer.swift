import Foundation

/// Draws a `DashboardState` as a `CellGrid` of any size. Pure: no clock (times come from the
/// state's last tick), no I/O. Never traps, whatever the size (0 × 0, 1 × 1, 20 × 5 included):
/// every view draws through clipped `CellGrid` helpers into rectangles that may be empty.
public func render(_ state: DashboardState, width: Int, height: Int) -> CellGrid {
    DashboardRenderer.render(state, width: width, height: height)
}

enum DashboardRenderer {
    static func render(_ state: DashboardState, width: Int, height: Int) -> CellGrid {
        var grid = CellGrid(width: width, height: height)
        guard width > 0, height > 0 else { return grid }
        let glyphs = Glyphs.forState(state)
        let lanes = state.lanes
        let layout = DashboardLayout(state: state, width: width, height: height, lanes: lanes)
        HeaderBar.draw(state, rect: layout.header, glyphs: glyphs, into: &grid)
        switch state.screen {
        case .build:
            BuildView.draw(state, lanes: lanes, rect: layout.steps, screenWidth: width, glyphs: glyphs, into: &grid)
            if !layout.log.isEmpty { LogPane.draw(state, layout: layout, glyphs: glyphs, into: &grid) }
        case .cacheGraph:
            CacheGraphView.draw(state, rect: layout.body, glyphs: glyphs, into: &grid)
        case .source:
            SourceView.draw(state, rect: layout.body, glyphs: glyphs, into: &grid)
        case .timeline:
            TimelineView.draw(state, lanes: lanes, rect: layout.body, glyphs: glyphs, into: &grid)
        }
        if state.showHelp { HelpOverlay.draw(state, rect: layout.body, glyphs: glyphs, into: &grid) }
        ScrubberBar.draw(state, rect: layout.scrubber, into: &grid)
        HintBar.draw(state, rect: layout.hint, glyphs: glyphs, into: &grid)
        if let explorer = state.explorer {
            let rect = Rect(x: 0, y: layout.body.y, width: width, height: layout.hint.maxY - layout.body.y)
            LayerExplorerView.draw(explorer, rect: rect, ascii: state.ascii, into: &grid)
        }
        return grid
    }

    /// The spinner frame: ten a second since the build started, so frames advance with ticks
    /// and the same tick always shows the same frame.
    static func frame(_ state: DashboardState) -> Int {
        guard let clock = state.clock, let start = state.startTime else { return 0 }
        let t = clock.timeIntervalSince(start) * 10
        return t.isFinite ? Int(max(0, min(t, 1e9))) : 0
    }
}
