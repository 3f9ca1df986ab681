/// Six named sets of the memory knobs, from everything resident to everything streamed.
public struct OptimizationPreset: Sendable {
    public var id: String
    public var description: String
    public var quantization: Quantization
    public var offload: Offload
    public var vaeTiling: Bool
    public var vaeTileSize: Int
    public var performanceImpact: String
    public var qualityImpact: String

    /// The current settings with this preset's knobs; the cap and reserve stay as they are.
    public func applied(to s: OptimizationSettings) -> OptimizationSettings {
        var out = s
        out.quantization = quantization; out.offload = offload; out.vaeTiling = vaeTiling; out.vaeTileSize = vaeTileSize
        return out
    }
}

/// A preset checked against one GPU.
public struct PresetFit: Sendable, Equatable {
    public var gpu: Int
    public var compatible: Bool
    public var reason: String
    public var requiredBytes: UInt64
    /// Free (or capped) memory left after the peak; negative when it does not fit.
    public var headroomBytes: Int64
}

public enum OptimizationPresets {
    /// Ordered from least to most memory saved, so the first that fits is the fastest.
    public static let all: [OptimizationPreset] = [
        OptimizationPreset(id: "high_performance", description: "everything resident in fp16: the fastest when it fits",
                           quantization: .fp16, offload: .none, vaeTiling: false, vaeTileSize: 512,
                           performanceImpact: "fastest (1.0×)", qualityImpact: "none"),
        OptimizationPreset(id: "quality_focused", description: "everything resident in bf16, untiled decode: no seams, no rounding surprises",
                           quantization: .bf16, offload: .none, vaeTiling: false, vaeTileSize: 512,
                           performanceImpact: "as fast as fp16 (1.0×)", qualityImpact: "best: full 16-bit weights, no tile seams"),
        OptimizationPreset(id: "speed_focused", description: "fp8 weights, everything resident: half the weight memory, no transfers",
                           quantization: .fp8, offload: .none, vaeTiling: false, vaeTileSize: 512,
                           performanceImpact: "about 1.05×; faster on cards with fp8 tensor cores", qualityImpact: "slight: 8-bit weights"),
        OptimizationPreset(id: "balanced", description: "fp16 with model offload and tiled VAE decode",
                           quantization: .fp16, offload: .model, vaeTiling: true, vaeTileSize: 512,
                           performanceImpact: "about 1.4× the time (model offload)", qualityImpact: "none; tiles can show faint seams at large sizes"),
        OptimizationPreset(id: "memory_efficient", description: "fp8 weights, model offload, 256 px VAE tiles",
                           quantization: .fp8, offload: .model, vaeTiling: true, vaeTileSize: 256,
                           performanceImpact: "about 1.5× the time", qualityImpact: "slight: 8-bit weights"),
        OptimizationPreset(id: "ultra_efficient", description: "nf4 weights, sequential offload, 256 px VAE tiles: for 6-8 GB cards",
                           quantization: .nf4, offload: .sequential, vaeTiling: true, vaeTileSize: 256,
                           performanceImpact: "6-7× the time (sequential offload)", qualityImpact: "noticeable at times: 4-bit weights"),
    ]

    public static func named(_ id: String) -> OptimizationPreset? { all.first { $0.id == id } }

    /// Whether a peak fits one GPU: its free memory, and the cap when one is set.
    public static func fit(_ e: VRAMEstimate, on g: GPUMemory, cap: UInt64?) -> PresetFit {
        let budget = min(g.freeBytes, cap ?? .max)
        let peak = e.peakBytes
        let headroom = Int64(clamping: budget) - Int64(clamping: peak)
        let reason: String
        if peak <= budget {
            reason = "needs \(Bytes.gib(peak)), \(Bytes.gib(budget)) \(budget < g.freeBytes ? "allowed by the cap" : "free")"
        } else if peak > g.totalBytes {
            reason = "needs \(Bytes.gib(peak)), more than the card's \(Bytes.gib(g.totalBytes))"
        } else if let cap, peak > cap {
            reason = "needs \(Bytes.gib(peak)), above the \(Bytes.gib(cap)) cap"
        } else {
            reason = "needs \(Bytes.gib(peak)), only \(Bytes.gib(g.freeBytes)) free"
        }
        return PresetFit(gpu: g.index, compatible: peak <= budget, reason: reason, requiredBytes: peak, headroomBytes: headroom)
    }
}

/// Byte figures in the words people use for VRAM (GiB, as nvidia-smi's MiB scaled).
public enum Bytes {
    public static func gib(_ b: UInt64) -> String {
        let g = Double(b) / 1_073_741_824
        let tenths = (g * 10).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10) GiB"
    }
}
