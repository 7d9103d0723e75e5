import BuildCore

/// `l`: the layer explorer for the selected step. The reducer only asks for the layers
/// (`.openLayers`); the terminal layer reads their file lists and sends the explorer back.
extension DashboardState {
    /// Rows the explorer's list shows on this terminal (its page).
    var explorerPage: Int {
        let layout = DashboardLayout(state: self, width: width, height: height)
        return LayerExplorerView.listHeight(layout.hint.maxY - layout.body.y)
    }

    mutating func openLayers() -> [DashboardEffect] {
        guard let step = step(selected) else { return [.bell] }
        guard let layers = step.layers, !layers.isEmpty else {
            flash = step.status.isEnded ? "this step made no layer" : "the layer is there when the step ends"
            return []
        }
        guard canOpenLayers else {
            flash = "the layers are on the build's machine: run swbuild-tui layers there"
            return []
        }
        return [.openLayers(title: step.name, layers: layers)]
    }

    mutating func explorerKey(_ key: Key) -> [DashboardEffect] {
        guard var explorer else { return [] }
        explorer.page = explorerPage
        self.explorer = explorer.handle(key) ? explorer : nil
        return []
    }
}
