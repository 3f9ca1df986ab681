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
        let recommended = c.fastestPreset(fitting: roomy, excludingCurrent: false)
        // Efficiency: the recommended settings' time over the current; full when none fits either.
        let efficiency: Int
        if let r = recommended, e.peakBytes <= budget {
            efficiency = Int((min(1, r.estimate.relativeTime / e.relativeTime) * 30).rounded())
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
            if d.atPowerLimit { stability -= 4 }
            if c.crowdedByOthers(d) { stability -= 8 }
        }
        stability = max(0, stability)
        return AdvisorAnalysis(score: headroom + efficiency + stability, headroom: headroom, efficiency: efficiency,
                               stability: stability, current: c.settings, currentEstimate: e,
                               recommended: recommended.map { ($0.preset.id, $0.settings, $0.estimate) })
    }
}
