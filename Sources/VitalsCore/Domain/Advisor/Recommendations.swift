/// `GET /api/v1/optimization/recommendations`: what to change, most urgent first, each with
/// the figures that triggered it. A machine with headroom and nothing wrong gets an empty
/// list, not filler.
public struct Recommendation: Sendable {
    public enum Priority: String, Sendable, CaseIterable { case critical, high, medium, low }
    public var id: String
    public var priority: Priority
    public var title: String
    public var detail: String
    public var figures: [(String, Double?)]
    /// The settings to change to; nil when the remedy is outside Vitals (stop a process, airflow).
    public var change: OptimizationSettings?
    /// Bytes of peak VRAM the change saves against the current settings (negative: it costs
    /// memory, for speed).
    public var savingsBytes: Int64
}

public enum Recommendations {
    public static func make(_ c: AdvisorContext) -> [Recommendation] {
        var out: [Recommendation] = []
        let current = c.estimate
        let peak = current.peakBytes
        let cap = c.settings.maxVRAMBytes
        let k = c.constraints
        func savings(_ s: OptimizationSettings) -> Int64 {
            Int64(clamping: peak) - Int64(clamping: VRAMEstimator.estimate(c.workload, s).peakBytes)
        }
        if let g = c.roomiestGPU {
            let budget = min(g.freeBytes, cap ?? .max)
            let figures: [(String, Double?)] = [("estimated_peak_bytes", Double(peak)), ("gpu", Double(g.index)),
                                                ("free_bytes", Double(g.freeBytes)), ("total_bytes", Double(g.totalBytes))]
            if peak > budget {
                if let (p, s, e) = c.fastestPreset(fitting: budget, excludingCurrent: true) {
                    out.append(Recommendation(id: "does_not_fit", priority: .critical,
                        title: "the current settings need \(Bytes.gib(peak)); GPU \(g.index) has \(Bytes.gib(budget)) to give",
                        detail: "apply \(p.id): it needs \(Bytes.gib(e.peakBytes)) at \(e.relativeTime)× the time",
                        figures: figures, change: s, savingsBytes: savings(s)))
                } else {
                    out.append(Recommendation(id: "does_not_fit", priority: .critical,
                        title: "the current settings need \(Bytes.gib(peak)); GPU \(g.index) has \(Bytes.gib(budget)) to give",
                        detail: "no preset fits: lower the resolution or batch, or free the memory other processes hold",
                        figures: figures, change: nil, savingsBytes: 0))
                }
            } else if g.totalBytes > 0, Double(g.usedBytes + peak) / Double(g.totalBytes) * 100 >= k.vram.warning {
                // What a run may take and stay under the warning level.
                let warnAt = UInt64(Double(g.totalBytes) * k.vram.warning / 100)
                let allowed = min(budget, warnAt > g.usedBytes ? warnAt - g.usedBytes : 0)
                if let (p, s, e) = c.fastestPreset(fitting: allowed, excludingCurrent: true) {
                    out.append(Recommendation(id: "thin_headroom", priority: .medium,
                        title: "a run would take GPU \(g.index) to \(Int(Double(g.usedBytes + peak) / Double(g.totalBytes) * 100))% of its memory",
                        detail: "\(p.id) keeps it under the \(Int(k.vram.warning))% warning at \(e.relativeTime)× the time",
                        figures: figures, change: s, savingsBytes: savings(s)))
                }
            }
        }

        for d in c.devices {
            guard let g = c.gpus.first(where: { $0.index == d.index }) else { continue }
            let usedPct = c.usedPercent(d.index) ?? 0
            if usedPct >= k.vram.critical {
                out.append(Recommendation(id: "vram_critical_gpu\(d.index)", priority: .high,
                    title: "GPU \(d.index) VRAM \(Int(usedPct))% used now",
                    detail: "at or above the \(Int(k.vram.critical))% critical level: a new job will likely fail to allocate",
                    figures: [("used_bytes", Double(g.usedBytes)), ("total_bytes", Double(g.totalBytes)), ("percent", usedPct)],
                    change: nil, savingsBytes: 0))
            }
            let others = d.processMemoryBytes
            if c.crowdedByOthers(d) {
                out.append(Recommendation(id: "other_processes_gpu\(d.index)", priority: .high,
                    title: "processes hold \(Bytes.gib(others)) on GPU \(d.index)",
                    detail: "stop idle ones (see GET /api/v1/system/processes?sort=gpu_memory) before starting a run",
                    figures: [("process_bytes", Double(others)), ("processes", Double(d.processes?.count ?? 0)), ("percent", usedPct)],
                    change: nil, savingsBytes: Int64(clamping: others)))
            }
            if let t = d.temperatureC, t >= k.gpuTemperature.warning {
                out.append(Recommendation(id: "hot_gpu\(d.index)", priority: t >= k.gpuTemperature.critical ? .high : .medium,
                    title: "GPU \(d.index) at \(Int(t)) °C: it will throttle",
                    detail: "check airflow and the fan curve, or cap power with nvidia-smi -pl",
                    figures: [("temperature_celsius", t), ("warning_celsius", k.gpuTemperature.warning)], change: nil, savingsBytes: 0))
            }
            if d.atPowerLimit, let p = d.powerWatts, let limit = d.powerLimitWatts {
                out.append(Recommendation(id: "power_limit_gpu\(d.index)", priority: .low,
                    title: "GPU \(d.index) draws \(Int(p)) W of its \(Int(limit)) W limit: clocks are power-throttled",
                    detail: "runs take longer than the estimate's time factor says; a higher limit or better cooling helps",
                    figures: [("power_watts", p), ("power_limit_watts", limit)], change: nil, savingsBytes: 0))
            }
            if let h = c.history[d.index], g.totalBytes > 0 {
                let dayPct = h.peakDayBytes.map { Double($0) / Double(g.totalBytes) * 100 }
                if let dayPct, dayPct >= k.vram.critical {
                    let s = stepDown(c.settings)
                    out.append(Recommendation(id: "peak_day_gpu\(d.index)", priority: .medium,
                        title: "GPU \(d.index) peaked at \(Int(dayPct))% VRAM in the last day",
                        detail: "close to running out: \(describe(s)) lowers the next run's peak",
                        figures: [("peak_hour_bytes", h.peakHourBytes.map { Double($0) }), ("peak_day_bytes", h.peakDayBytes.map { Double($0) }),
                                  ("total_bytes", Double(g.totalBytes)), ("trend_bytes_per_hour", h.trendBytesPerHour)],
                        change: s == c.settings ? nil : s, savingsBytes: s == c.settings ? 0 : savings(s)))
                }
                if let trend = h.trendBytesPerHour, trend >= Double(1 << 30), usedPct >= 50 {
                    out.append(Recommendation(id: "rising_gpu\(d.index)", priority: .low,
                        title: "GPU \(d.index) memory rose \(Bytes.gib(UInt64(trend))) in the last hour",
                        detail: "a process may be leaking or caching models; watch GET /api/v1/system/processes?sort=gpu_memory",
                        figures: [("trend_bytes_per_hour", trend), ("used_bytes", Double(g.usedBytes))], change: nil, savingsBytes: 0))
                }
            }
        }

        // Over-provisioned: streaming weights costs time when everything would fit.
        if c.settings.offload != .none || c.settings.quantization == .nf4, let g = c.roomiestGPU,
           out.allSatisfy({ $0.priority != .critical }) {
            let roomy = UInt64(Double(min(g.freeBytes, cap ?? .max)) * 0.8)
            if let (p, s, e) = c.fastestPreset(fitting: roomy, excludingCurrent: true), e.relativeTime < current.relativeTime {
                out.append(Recommendation(id: "faster_fits", priority: .low,
                    title: "\(p.id) fits GPU \(g.index) with room to spare and runs faster",
                    detail: "it needs \(Bytes.gib(e.peakBytes)) at \(e.relativeTime)× the time, against \(current.relativeTime)× now",
                    figures: [("estimated_peak_bytes", Double(e.peakBytes)), ("free_bytes", Double(g.freeBytes)),
                              ("relative_time", e.relativeTime)],
                    change: s, savingsBytes: savings(s)))
            }
        }
        let order = Recommendation.Priority.allCases
        return out.enumerated().sorted { a, b in
            let pa = order.firstIndex(of: a.element.priority)!, pb = order.firstIndex(of: b.element.priority)!
            return pa != pb ? pa < pb : a.offset < b.offset
        }.map(\.element)
    }

    /// One notch more frugal: offload first (no quality cost), then tiling, then quantization.
    static func stepDown(_ s: OptimizationSettings) -> OptimizationSettings {
        var out = s
        if s.offload == .none { out.offload = .model }
        else if !s.vaeTiling { out.vaeTiling = true }
        else if s.quantization == .fp16 || s.quantization == .bf16 { out.quantization = .fp8 }
        else if s.offload == .model { out.offload = .sequential }
        else if s.quantization != .nf4 { out.quantization = .nf4 }
        return out
    }

    static func describe(_ s: OptimizationSettings) -> String {
        "\(s.quantization.rawValue), \(s.offload == .none ? "no" : s.offload.rawValue) offload, VAE tiling \(s.vaeTiling ? "on (\(s.vaeTileSize) px)" : "off")"
    }
}
