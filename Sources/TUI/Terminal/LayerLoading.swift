import BuildCore
import Foundation

/// Reads what the layer explorer shows, off the reducer: the layers' recorded file lists from
/// the store at `root`, analysed into a report.
enum LayerLoading {
    static func message(title: String, layers: [String], root: String) -> DashboardMessage {
        do {
            let report = try LayerReport.load(layers: layers, store: LayerStore(root: root))
            return .layersOpened(LayerExplorer(title: title, report: report))
        } catch {
            return .layersFailed("cannot open the layers: \(error)")
        }
    }
}
