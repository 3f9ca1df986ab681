/// What is to be generated: the model family and the output's size.
public struct Workload: Sendable, Equatable {
    /// A family id (`sdxl`, `flux_dev`, ...) or `custom`, which takes `components`.
    public var model: String
    public var components: [ModelComponent]
    public var width: Int
    public var height: Int
    public var batch: Int
    /// Video frames; 1 for a still image.
    public var frames: Int

    public init(model: String = "sdxl", components: [ModelComponent] = [], width: Int = 1024, height: Int = 1024,
                batch: Int = 1, frames: Int = 1) {
        self.model = model; self.components = components; self.width = width; self.height = height
        self.batch = batch; self.frames = frames
    }

    public var family: ModelFamily { ModelFamily.named(model) ?? .custom(components) }
}

/// How the workload is to be run: the knobs the tools ask their users to guess.
public struct OptimizationSettings: Sendable, Equatable {
    public var quantization: Quantization = .fp16
    public var offload: Offload = .none
    public var vaeTiling = false
    /// Output pixels per tile side, 128-512 in steps of 64.
    public var vaeTileSize = 512
    /// A cap on what a job may use, at most the GPU's total; nil: no cap.
    public var maxVRAMBytes: UInt64? = nil
    /// CUDA context and fragmentation: ComfyUI reserves 400 MiB on Linux.
    public var reserveBytes: UInt64 = 400 << 20

    public init() {}
}

/// Peak VRAM of one run, with the parts it is made of. `peakBytes` is their sum: the
/// denoiser's working memory is counted beside the VAE decode although they rarely
/// overlap, because under-estimating crashes the run and over-estimating only costs speed.
public struct VRAMEstimate: Sendable, Equatable {
    public var weightsBytes: UInt64
    public var workingBytes: UInt64
    public var vaeDecodeBytes: UInt64
    public var reserveBytes: UInt64
    /// Time relative to fp16 with everything resident and no tiling (1.0).
    public var relativeTime: Double
    /// Whether VAE tiling was asked for and takes effect at this size.
    public var tiled: Bool

    public var peakBytes: UInt64 { weightsBytes + workingBytes + vaeDecodeBytes + reserveBytes }
}

/// One GPU's memory as the estimate is checked against it.
public struct GPUMemory: Sendable, Equatable {
    public var index: Int
    public var name: String?
    public var totalBytes: UInt64
    public var freeBytes: UInt64
    public var usedBytes: UInt64

    public init(index: Int, name: String? = nil, totalBytes: UInt64, freeBytes: UInt64, usedBytes: UInt64) {
        self.index = index; self.name = name; self.totalBytes = totalBytes; self.freeBytes = freeBytes; self.usedBytes = usedBytes
    }

    /// The GPUs of a snapshot whose memory could be read.
    public static func of(_ devices: [GPUDevice]) -> [GPUMemory] {
        devices.compactMap { d in
            guard let total = d.memoryTotal, let free = d.memoryFree else { return nil }
            return GPUMemory(index: d.index, name: d.name, totalBytes: total, freeBytes: free,
                             usedBytes: d.memoryUsed ?? (total > free ? total - free : 0))
        }
    }
}

public struct GPUFit: Sendable, Equatable {
    public var gpu: Int
    public var freeBytes: UInt64
    public var totalBytes: UInt64
    public var fits: Bool
}

public enum VRAMEstimator {
    /// VAE decode: InvokeAI's and ComfyUI's measured ≈ 2,200 bytes per output pixel per element byte.
    static let vaeBytesPerPixel = 2200.0
    /// Tiles overlap: InvokeAI counts 1.25 × a tile.
    static let tileOverlap = 1.25
    /// Activations run in 16-bit whatever the weights are stored in.
    static let activationBytes = 2.0
    static let mib = 1_048_576.0

    public static func estimate(_ w: Workload, _ s: OptimizationSettings) -> VRAMEstimate {
        let family = w.family
        let sizes = family.components.map { componentBytes($0, s.quantization) }
        let weights: Double
        switch s.offload {
        case .none: weights = sizes.reduce(0, +)
        case .model: weights = sizes.max() ?? 0
        case .sequential: weights = (sizes.max() ?? 0) / Double(max(1, family.offloadBlocks))
        }
        // ComfyUI: batch × latent area × dtype bytes × 0.01 MiB × factor; CFG doubles the batch.
        let latentArea = Double(w.width / 8) * Double(w.height / 8)
        let passes = Double(w.batch * w.frames * (family.usesCFG ? 2 : 1))
        let working = passes * latentArea * activationBytes * 0.01 * family.workingFactor * mib
        let images = Double(w.batch * w.frames)
        let full = vaeBytesPerPixel * Double(w.width) * Double(w.height) * activationBytes * images
        let tiledApplies = s.vaeTiling && max(w.width, w.height) > family.vaeSampleSize
        let tile = Double(s.vaeTileSize)
        let vae = tiledApplies ? min(full, tile * tile * vaeBytesPerPixel * activationBytes * tileOverlap * images) : full
        let time = s.quantization.timeFactor * s.offload.timeFactor * (tiledApplies ? 1.05 : 1.0)
        return VRAMEstimate(weightsBytes: UInt64(weights.rounded(.up)), workingBytes: UInt64(working.rounded(.up)),
                            vaeDecodeBytes: UInt64(vae.rounded(.up)), reserveBytes: s.reserveBytes,
                            relativeTime: (time * 100).rounded() / 100, tiled: tiledApplies)
    }

    /// A component's bytes: quantization reaches the denoiser and the large text encoder;
    /// what a quantized load keeps in fp32 counts 4 bytes a parameter.
    static func componentBytes(_ c: ModelComponent, _ q: Quantization) -> Double {
        guard q.isQuantized, c.role == .denoiser || c.role == .largeTextEncoder else {
            return c.parameters * 2
        }
        let kept = min(c.keptInFP32WhenQuantized, c.parameters)
        return (c.parameters - kept) * q.bytesPerParameter + kept * 4
    }

    /// Whether the peak fits each GPU's free memory, and the cap when one is set.
    public static func fits(_ e: VRAMEstimate, gpus: [GPUMemory], cap: UInt64?) -> [GPUFit] {
        gpus.map { g in
            GPUFit(gpu: g.index, freeBytes: g.freeBytes, totalBytes: g.totalBytes,
                   fits: e.peakBytes <= g.freeBytes && e.peakBytes <= (cap ?? .max))
        }
    }
}
