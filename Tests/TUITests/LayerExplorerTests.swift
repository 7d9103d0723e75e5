import BuildCore
import Foundation
import Testing
@testable import TUI

/// The layer explorer's keys and rows: filters, folds, search, layers and the wasted list.
struct LayerExplorerTests {
    static let report = LayerReport(lists: [
        LayerFileList(files: [
            LayerFile(path: "app", kind: .directory, mode: 0o755),
            LayerFile(path: "app/big.bin", kind: .file, size: 2_000),
            LayerFile(path: "app/keep", kind: .file, size: 5),
            LayerFile(path: "etc", kind: .directory, mode: 0o755),
            LayerFile(path: "etc/conf", kind: .file, size: 7),
        ]),
        LayerFileList(files: [
            LayerFile(path: "app", kind: .directory, mode: 0o755),
            LayerFile(path: "app/big.bin", kind: .whiteout, mode: 0),
            LayerFile(path: "app/keep", kind: .file, size: 6),
            LayerFile(path: "app/new", kind: .directory, mode: 0o700),
            LayerFile(path: "app/new/x", kind: .file, mode: 0o4755, size: 3),
            LayerFile(path: "run", kind: .symlink, mode: 0o777, linkTarget: "/var/run"),
        ]),
    ], origins: [nil, LayerOrigin(step: "[2/2] RUN clean", file: "Dockerfile", line: 4)])

    func paths(_ e: LayerExplorer) -> [String] {
        e.rows.map { e.report.layers[e.layer].analyzed.changes[$0.entry].file.path }
    }

    @Test func opensOnTheTopLayerWithItsTree() {
        let e = LayerExplorer(title: "t", report: Self.report)
        #expect(e.layer == 1)
        #expect(paths(e) == ["app", "app/big.bin", "app/keep", "app/new", "app/new/x", "run"])
        #expect(e.rows.map(\.depth) == [0, 1, 1, 1, 2, 0])
        // A directory's size adds what is shown below it (a removal counts what it removed).
        #expect(e.rows[0].size == 2_000 + 6 + 3)
    }

    @Test func filtersKeepTheDirectoriesThatLeadToMatches() {
        var e = LayerExplorer(title: "t", report: Self.report)
        _ = e.handle(.char("4"))
        #expect(paths(e) == ["app", "app/big.bin"])
        _ = e.handle(.char("2"))
        #expect(paths(e) == ["app", "app/new", "app/new/x", "run"])
        _ = e.handle(.char("3"))
        #expect(paths(e) == ["app", "app/keep"])
        _ = e.handle(.char("f"))
        #expect(e.filter == .removed)
    }

    @Test func foldingHidesAndShowsASubtree() {
        var e = LayerExplorer(title: "t", report: Self.report)
        _ = e.handle(.char(" "))
        #expect(paths(e) == ["app", "run"])
        _ = e.handle(.right)
        #expect(paths(e).count == 6)
        _ = e.handle(.down)
        _ = e.handle(.down)
        _ = e.handle(.left)            // a file: to its directory
        #expect(e.cursor == 0)
    }

    @Test func searchNarrowsToMatchingPaths() {
        var e = LayerExplorer(title: "t", report: Self.report)
        for key in [Key.char("/"), .char("x"), .enter] { _ = e.handle(key) }
        #expect(paths(e) == ["app", "app/new", "app/new/x"])
        _ = e.handle(.esc)
        #expect(e.query.isEmpty && paths(e).count == 6)
    }

    @Test func layersSwitchAndTheWastedListNamesTheLines() {
        var e = LayerExplorer(title: "t", report: Self.report)
        _ = e.handle(.char("["))
        #expect(e.layer == 0 && paths(e).count == 5)
        _ = e.handle(.char("w"))
        #expect(e.showWasted)
        var grid = CellGrid(width: 100, height: 12)
        LayerExplorerView.draw(e, rect: Rect(x: 0, y: 0, width: 100, height: 12), ascii: false, into: &grid)
        let text = grid.text
        #expect(text.contains("/app/big.bin") && text.contains("Dockerfile:4"), "\(text)")
        let stays = e.handle(.esc)
        #expect(stays && !e.showWasted)
        let closes = !e.handle(.char("q"))
        #expect(closes)
    }

    @Test func theTreeShowsModesOwnersSizesAndLinks() {
        let e = LayerExplorer(title: "t", report: Self.report)
        var grid = CellGrid(width: 100, height: 14)
        LayerExplorerView.draw(e, rect: Rect(x: 0, y: 0, width: 100, height: 14), ascii: false, into: &grid)
        let text = grid.text
        #expect(text.contains("Layer 2/2 [2/2] RUN clean  (Dockerfile:4)"), "\(text)")
        #expect(text.contains("+ -rwsr-xr-x 0:0"), "\(text)")
        #expect(text.contains("- ----------"), "\(text)")
        #expect(text.contains("run → /var/run"), "\(text)")
        #expect(text.contains("efficiency"), "\(text)")
    }

    @Test func lOnAStepAsksForItsLayersOnlyWhenTheyAreHere() {
        var state = DashboardState(ascii: false, colorEnabled: true)
        let d = Digest.sha256("test:layers")
        _ = state.apply(.resize(width: 100, height: 30))
        _ = state.apply(.event(BuildEvent(.vertexStarted(d))))
        _ = state.apply(.event(BuildEvent(.vertexCompleted(VertexCompletion(digest: d, status: .done, duration: 1,
                                                                           layers: ["l1", "l2"])))))
        state.selected = d
        #expect(state.apply(.key(.char("l"))).isEmpty)
        #expect(state.flash?.contains("build's machine") == true)
        state.canOpenLayers = true
        #expect(state.apply(.key(.char("l"))) == [.openLayers(title: state.steps[0].name, layers: ["l1", "l2"])])
        _ = state.apply(.layersOpened(LayerExplorer(title: "x", report: Self.report)))
        #expect(state.render(width: 100, height: 30).text.contains("Layer 2/2"))
        _ = state.apply(.key(.char("q")))
        #expect(state.explorer == nil, "q closes the explorer, not the dashboard")
    }
}
