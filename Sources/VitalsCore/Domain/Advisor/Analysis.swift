/// `GET /api/v1/optimization/analysis`: one 0-100 score for how well the settings suit the
/// machine, made of headroom (40: room left on the GPU after a run's peak), efficiency (30:
/// speed given away to memory savings that were not needed) and stability (30: recent
/// peaks, throttling, memory held by others).
public struct AdvisorAnalysis: Sendable {
    public var score: Int
    public var headroom: Int
    public var efficiency: Int
    public var stability: Int
    public var current: OptimizationSettings
    public var currentEstimate: VRAMEstimate
    /// The fastest preset leaving 10 % of the GPU free; nil when none fits.
    public var recommended: (id: String, settings: OptimizationSettings, estimate: VRAMEstimate)?
}

public enum Analysis {
    public static func make(_ c: AdvisorContext) -> AdvisorAnalysis {
        let e = c.estimate
        let g = c.roomiestGPU
        let budget = g.map { min($0.freeBytes, c.settings.maxVRAMBytes ?? .max) } ?? 0
        // Full marks at 20 % of the card left after the peak, none when it does not fit.
        var headroom = 0
        if let g, g.totalBytes > 0, e.peakBytes <= budget {
            let left = Double(budget - e.peakBytes) / Double(g.totalBytes)
            headroom = Int((min(left, 0.2) / 0.2 * 40).rounded())
        }
        let tenth = (g?.totalBytes ?? 0) / 10
        let roomy = budget > tenth ? budget - tenth : 0
        let candidates = OptimizationPresets.all.map { p -> (String, OptimizationSettings, VRAMEstimate) in
            let s = p.applied(to: c.settings); return (p.id, s, VRAMEstimator.estimate(c.workload, s))
        }
        let recommended = candidates.filter { $0.2.peakBytes <= roomy }.min { $0.2.relativeTime < $1.2.relativeTime }
        // Efficiency: the recommended settings' time over the current; full when none fits either.
        let efficiency: Int
        if let r = recommended, e.peakBytes <= budget {
            efficiency = Int((min(1, r.2.relativeTime / e.relativeTime) * 30).rounded())
        } else {
            efficiency = e.peakBytes <= budget ? 30 : 0
        }
        var stability = 30
        for d in c.devices {
            if let h = c.history[d.index], let peak = h.peakDayBytes, let total = d.memoryTotal, total > 0 {
                let pct = Double(peak) / Double(total) * 100
                if pct >= c.constraints.vram.critical { stability -= 15 } else if pct >= c.constraints.vram.warning { stability -= 8 }
            }
            if let t = d.temperatureC, t >= c.constraints.gpuTemperature.warning { stability -= 7 }
            if let p = d.powerWatts, let l = d.powerLimitWatts, l > 0, p >= l * 0.98 { stability -= 4 }
            if (d.processes ?? []).compactMap(\.usedMemoryBytes).reduce(0, +) >= 1 << 30,
               let g = c.gpus.first(where: { $0.index == d.index }), g.totalBytes > 0,
               Double(g.usedBytes) / Double(g.totalBytes) * 100 >= c.constraints.vram.warning {
                stability -= 8
            }
        }
        stability = max(0, stability)
        return AdvisorAnalysis(score: headroom + efficiency + stability, headroom: headroom, efficiency: efficiency,
                               stability: stability, current: c.settings, currentEstimate: e,
                               recommended: recommended.map { ($0.0, $0.1, $0.2) })
    }
}
