/// A past build in the cache graph's trend.
struct TrendPoint: Sendable, Equatable {
    /// Cache hits over cacheable steps, 0…1.
    var hitRate: Double
    /// Seconds.
    var duration: Double

    /// Reads hit rates given as fractions (0…1) or, when any exceeds 1, as percentages.
    static func normalized(_ points: [(hitRate: Double, duration: Double)]) -> [TrendPoint] {
        let percent = points.contains { $0.hitRate > 1 }
        return points.map { p in
            let rate = percent ? p.hitRate / 100 : p.hitRate
            return TrendPoint(hitRate: min(1, max(0, rate.isFinite ? rate : 0)),
                              duration: max(0, p.duration.isFinite ? p.duration : 0))
        }
    }
}
