/// The diffusion model families the advisor knows, as their components and parameter
/// counts (the published model cards), plus the per-family factors the estimator needs.
public enum ComponentRole: String, Sendable, CaseIterable {
    /// The UNet or transformer run at every step: quantized, and the source of working memory.
    case denoiser
    /// A text encoder small enough that the published measurements leave it unquantized (CLIP).
    case textEncoder = "text_encoder"
    /// T5-XXL and the like: quantized together with the denoiser, as in the published runs.
    case largeTextEncoder = "large_text_encoder"
    case vae
}

public struct ModelComponent: Sendable, Equatable {
    public var name: String
    public var parameters: Double
    public var role: ComponentRole
    /// Parameters a quantized load keeps in fp32: transformers' T5 keeps its feed-forward
    /// output projections (`_keep_in_fp32_modules = ["wo"]`, 24 layers × 4096 × 10240 ≈ 1.0 B)
    /// out of bitsandbytes' reach, which is why quantized FLUX holds ~3.4 GiB more than its
    /// quantized weights alone.
    public var keptInFP32WhenQuantized: Double

    public init(_ name: String, _ parameters: Double, _ role: ComponentRole, keptInFP32WhenQuantized: Double = 0) {
        self.name = name; self.parameters = parameters; self.role = role
        self.keptInFP32WhenQuantized = keptInFP32WhenQuantized
    }
}

public struct ModelFamily: Sendable, Equatable {
    public var id: String
    public var components: [ModelComponent]
    /// ComfyUI's `memory_usage_factor` (comfy/supported_models.py).
    public var workingFactor: Double
    /// Classifier-free guidance runs the denoiser on a doubled batch.
    public var usesCFG: Bool
    /// The VAE's own `sample_size`: tiled decoding does nothing at or below it (diffusers).
    public var vaeSampleSize: Int
    /// How many blocks sequential offload streams the denoiser in (one resident at a time).
    public var offloadBlocks: Int

    static let t5xxl = ModelComponent("t5_xxl", 4.7e9, .largeTextEncoder, keptInFP32WhenQuantized: 24 * 4096 * 10240)
    static let clipL = ModelComponent("clip_l", 123e6, .textEncoder)
    static let vae = ModelComponent("vae", 84e6, .vae)

    public static let sd15 = ModelFamily(id: "sd15", components: [
        ModelComponent("unet", 860e6, .denoiser), clipL, vae,
    ], workingFactor: 1.0, usesCFG: true, vaeSampleSize: 512, offloadBlocks: 16)
    public static let sdxl = ModelFamily(id: "sdxl", components: [
        ModelComponent("unet", 2.6e9, .denoiser), ModelComponent("clip_l_g", 817e6, .textEncoder), vae,
    ], workingFactor: 0.8, usesCFG: true, vaeSampleSize: 1024, offloadBlocks: 16)
    public static let sd3Medium = ModelFamily(id: "sd3_medium", components: [
        ModelComponent("transformer", 2.03e9, .denoiser), ModelComponent("clip_l_g", 817e6, .textEncoder), t5xxl, vae,
    ], workingFactor: 1.2, usesCFG: true, vaeSampleSize: 1024, offloadBlocks: 24)
    public static let fluxDev = ModelFamily(id: "flux_dev", components: [
        ModelComponent("transformer", 11.9e9, .denoiser), t5xxl, clipL, vae,
    ], workingFactor: 2.8, usesCFG: false, vaeSampleSize: 1024, offloadBlocks: 57)
    public static let fluxSchnell: ModelFamily = { var f = fluxDev; f.id = "flux_schnell"; return f }()

    public static let known: [ModelFamily] = [sd15, sdxl, sd3Medium, fluxDev, fluxSchnell]
    public static let ids: [String] = known.map(\.id) + ["custom"]

    public static func named(_ id: String) -> ModelFamily? { known.first { $0.id == id } }

    /// A family from the caller's own components: ComfyUI's baseline factor 1.0, CFG
    /// assumed (it doubles working memory: the safe side), tiling effective above 512 px.
    public static func custom(_ components: [ModelComponent]) -> ModelFamily {
        ModelFamily(id: "custom", components: components, workingFactor: 1.0, usesCFG: true, vaeSampleSize: 512, offloadBlocks: 16)
    }
}

public enum Quantization: String, Sendable, CaseIterable {
    case fp16, bf16, fp8, int8, nf4

    /// Bytes a quantized parameter takes, scales included: nf4 stores an fp32 absmax per
    /// 64-value block (bitsandbytes' default blocksize, no double quantization): 0.5 + 4/64.
    public var bytesPerParameter: Double {
        switch self {
        case .fp16, .bf16: return 2
        case .fp8, .int8: return 1
        case .nf4: return 0.5 + 4.0 / 64
        }
    }
    public var isQuantized: Bool { self != .fp16 && self != .bf16 }
    /// Relative time of a step: nf4 ran about as fast as bf16 and LLM.int8 slower in the
    /// published FLUX runs; fp8 weights are upcast per layer.
    public var timeFactor: Double {
        switch self {
        case .fp16, .bf16: return 1.0
        case .fp8: return 1.05
        case .nf4: return 1.1
        case .int8: return 1.3
        }
    }
}

public enum Offload: String, Sendable, CaseIterable {
    case none, model, sequential
    /// Published SDXL runs: model offload ≈ 1.4× the time, sequential ≈ 5.9×.
    public var timeFactor: Double {
        switch self {
        case .none: return 1.0
        case .model: return 1.4
        case .sequential: return 5.9
        }
    }
}
