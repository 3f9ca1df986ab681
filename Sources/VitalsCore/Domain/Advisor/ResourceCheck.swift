/// `GET /api/v1/system/resource-check`: may a job needing this much VRAM start now? Each
/// issue names the resource, the figure and the limit; suggestions come from the estimator.
public struct ResourceIssue: Sendable, Equatable {
    public var resource: String
    public var figure: Double
    public var limit: Double
    public var unit: String
    public var message: String
}

public struct ResourceSuggestion: Sendable, Equatable {
    public var message: String
    public var preset: String?
    public var peakBytes: UInt64?
}

public struct ResourceCheckResult: Sendable, Equatable {
    public var allowed: Bool
    public var gpu: Int?
    public var requiredBytes: UInt64
    public var blocking: [ResourceIssue]
    public var warnings: [ResourceIssue]
    public var suggestions: [ResourceSuggestion]
}

public enum ResourceCheck {
    /// `vramBytes` given: that much is needed; nil: the estimate of the context's workload
    /// and settings, and suggestions from the presets when it does not fit.
    public static func run(_ c: AdvisorContext, vramBytes: UInt64?) -> ResourceCheckResult {
        let required = vramBytes ?? c.estimate.peakBytes
        let k = c.constraints
        var blocking: [ResourceIssue] = [], warnings: [ResourceIssue] = []
        func level(_ resource: String, _ value: Double?, _ l: ResourceConstraints.Levels, _ unit: String, _ what: String) {
            guard let value else { return }
            if value >= l.critical {
                blocking.append(ResourceIssue(resource: resource, figure: value, limit: l.critical, unit: unit,
                                              message: "\(what) \(Int(value))\(unit == "percent" ? "%" : " °C"), at or above the critical \(Int(l.critical))"))
            } else if value >= l.warning {
                warnings.append(ResourceIssue(resource: resource, figure: value, limit: l.warning, unit: unit,
                                              message: "\(what) \(Int(value))\(unit == "percent" ? "%" : " °C"), at or above the warning \(Int(l.warning))"))
            }
        }
        // Where a job would go: the GPU with the most free memory that fits, else the roomiest.
        let fitting = c.gpus.filter { $0.freeBytes >= required }.max { $0.freeBytes < $1.freeBytes }
        let target = fitting ?? c.roomiestGPU
        if c.gpus.isEmpty {
            blocking.append(ResourceIssue(resource: "vram", figure: Double(required), limit: 0, unit: "bytes",
                                          message: "no GPU whose memory can be read"))
        } else if let g = target {
            if required > g.freeBytes {
                blocking.append(ResourceIssue(resource: "vram", figure: Double(required), limit: Double(g.freeBytes), unit: "bytes",
                                              message: "needs \(Bytes.gib(required)); GPU \(g.index) has \(Bytes.gib(g.freeBytes)) free"))
            } else if g.totalBytes > 0 {
                let after = Double(g.usedBytes + required) / Double(g.totalBytes) * 100
                level("vram", after, k.vram, "percent", "GPU \(g.index) VRAM would be")
            }
            if let cap = c.settings.maxVRAMBytes, required > cap {
                blocking.append(ResourceIssue(resource: "vram", figure: Double(required), limit: Double(cap), unit: "bytes",
                                              message: "needs \(Bytes.gib(required)), above the \(Bytes.gib(cap)) cap (max_vram_bytes)"))
            }
            if let d = c.devices.first(where: { $0.index == g.index }) {
                level("gpu_temperature", d.temperatureC, k.gpuTemperature, "celsius", "GPU \(g.index) at")
            }
        }
        level("ram", c.memoryPercent, k.ram, "percent", "RAM")
        level("cpu", c.cpuPercent, k.cpu, "percent", "CPU")
        if let disk = c.disk { level("disk", disk.percent, k.disk, "percent", "\(disk.mountPoint)") }

        var suggestions: [ResourceSuggestion] = []
        let vramTrouble = blocking.contains { $0.resource == "vram" } || warnings.contains { $0.resource == "vram" }
        if vramTrouble, vramBytes == nil, let g = c.roomiestGPU {
            let budget = min(g.freeBytes, c.settings.maxVRAMBytes ?? .max)
            for p in OptimizationPresets.all {
                let s = p.applied(to: c.settings)
                guard s != c.settings else { continue }
                let e = VRAMEstimator.estimate(c.workload, s)
                if e.peakBytes < required, e.peakBytes <= budget {
                    suggestions.append(ResourceSuggestion(
                        message: "\(p.id) (\(p.quantization.rawValue), \(p.offload == .none ? "no" : p.offload.rawValue) offload) would need \(Bytes.gib(e.peakBytes)), which fits GPU \(g.index)",
                        preset: p.id, peakBytes: e.peakBytes))
                    if suggestions.count == 2 { break }
                }
            }
            if suggestions.isEmpty {
                suggestions.append(ResourceSuggestion(message: "no preset fits the \(Bytes.gib(budget)) available on GPU \(g.index); free memory held by other processes or lower the resolution or batch",
                                                      preset: nil, peakBytes: nil))
            }
        } else if vramTrouble, let g = c.roomiestGPU {
            suggestions.append(ResourceSuggestion(message: "GPU \(g.index) has \(Bytes.gib(g.freeBytes)) free; POST /api/v1/optimization/estimate finds settings that need less",
                                                  preset: nil, peakBytes: nil))
        }
        return ResourceCheckResult(allowed: blocking.isEmpty, gpu: target?.index, requiredBytes: required,
                                   blocking: blocking, warnings: warnings, suggestions: suggestions)
    }
}
