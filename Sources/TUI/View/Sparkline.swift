/// A series as one character per value, eight levels high (`▁▂▃▄▅▆▇█`, ASCII `_.,-~=+#`).
enum Sparkline {
    /// `range` fixes the scale (rates: 0…1); nil scales from the series' minimum to maximum,
    /// and a flat series sits at mid height.
    static func render(_ values: [Double], glyphs: Glyphs, range: ClosedRange<Double>?) -> String {
        let finite = values.map { $0.isFinite ? $0 : 0 }
        guard let lo = range?.lowerBound ?? finite.min(), let hi = range?.upperBound ?? finite.max() else { return "" }
        let levels = glyphs.spark.count
        return String(finite.map { v -> Character in
            guard hi > lo else { return glyphs.spark[levels / 2 - 1] }
            let f = min(1, max(0, (v - lo) / (hi - lo)))
            return glyphs.spark[min(levels - 1, Int((f * Double(levels - 1)).rounded()))]
        })
    }
}
