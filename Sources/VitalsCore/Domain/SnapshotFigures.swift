/// A figure of a snapshot by the name history and the metric table give it, for rules
/// that name their figure (health now, alerts next).
enum SnapshotFigures {
    static func host(_ metric: String, _ s: Snapshot) -> Double? {
        HistoryMetrics.values(of: s).first { $0.0 == metric }?.1
    }

    static func filesystem(_ metric: String, _ f: FilesystemUsage) -> Double? {
        metric == "fs.percent" ? f.percent : nil
    }

    /// `gpu.temperature_c` → this GPU's `gpuN.temperature_c` series.
    static func gpu(_ metric: String, _ d: GPUDevice) -> Double? {
        switch metric {
        case "gpu.utilization": return d.utilizationGPU
        case "gpu.memory_used": return d.memoryUsed.map(Double.init)
        case "gpu.memory_percent": return d.memoryPercent
        case "gpu.temperature_c": return d.temperatureC
        case "gpu.power_w": return d.powerWatts
        default: return nil
        }
    }
}
