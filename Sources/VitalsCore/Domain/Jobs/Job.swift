/// A unit of work the host application (or `vitals run`) reports: admitted against the
/// GPUs' free memory, queued when it cannot start, tracked until it ends.
public enum JobState: String, Sendable, CaseIterable {
    case queued, running, completed, failed, cancelled, interrupted, lost
    public var isActive: Bool { self == .queued || self == .running }
    public static let ended: [JobState] = [.completed, .failed, .cancelled, .interrupted, .lost]
}

public enum JobKind: String, Sendable, CaseIterable {
    case generation, training, transcription, other
}

/// Which GPU a job asks for.
public enum GPUChoice: Sendable, Equatable {
    case any
    case index(Int)
    case uuid(String)

    public var text: String {
        switch self {
        case .any: return "any"
        case .index(let i): return String(i)
        case .uuid(let u): return u
        }
    }

    public init(text: String) {
        if text == "any" { self = .any } else if let i = Int(text) { self = .index(i) } else { self = .uuid(text) }
    }
}

/// What a new job asks for; the VRAM is given or estimated before it reaches the scheduler.
public struct JobRequest: Sendable {
    public var name: String
    public var kind: JobKind = .other
    public var pid: Int32? = nil
    public var gpu: GPUChoice = .any
    public var vramBytes: UInt64 = 0
    /// Whether `vramBytes` came from the estimator (the resource check then suggests presets).
    public var estimated = false
    public var workload = Workload()
    public var settings = OptimizationSettings()
    public var queue = false
    public var priority = 0
    public var labels: [String: String] = [:]

    public init(name: String) { self.name = name }
}

/// VRAM set aside for an admitted job until its process holds it (NVML's per-process list),
/// the job ends, or the grace period passes: what closes the window in which a second job
/// would see the first one's memory as free.
public struct Reservation: Sendable, Equatable {
    public var gpu: Int
    public var bytes: UInt64
    /// What the job's process and its children hold on that GPU, as NVML last said.
    public var heldBytes: UInt64 = 0
    public var startedMs: Int64
    /// nil while active; "held", "ended" or "expired" once released.
    public var releasedBecause: String? = nil

    public var isActive: Bool { releasedBecause == nil }
    /// The part still to be subtracted from NVML's free memory.
    public var outstandingBytes: UInt64 { isActive && bytes > heldBytes ? bytes - heldBytes : 0 }
}

public struct JobStage: Sendable, Equatable {
    public var name: String
    public var startedMs: Int64
    public var endedMs: Int64?
}

public struct JobProgress: Sendable, Equatable {
    public var step: Int64?
    public var totalSteps: Int64?
    public var message: String?
    public var metrics: [(String, Double)] = []
    /// Steps per second, smoothed (exponentially weighted over updates).
    public var rate: Double?
    public var updatedMs: Int64 = 0
    public var updates: Int64 = 0
    /// Where the rate was last measured from: updates come faster than the clock's
    /// millisecond, so the rate is taken over at least `rateWindowMs`.
    var anchorStep: Int64?
    var anchorMs: Int64 = 0
    static let rateWindowMs: Int64 = 250
    static let smoothing = 0.3

    /// Applies a new step at `nowMs`: percent follows at once, the rate over the window.
    mutating func advance(to step: Int64, nowMs: Int64) {
        if let a = anchorStep {
            let dt = nowMs - anchorMs
            if dt >= Self.rateWindowMs {
                let inst = Double(step - a) / (Double(dt) / 1000)
                if inst >= 0 { rate = rate.map { Self.smoothing * inst + (1 - Self.smoothing) * $0 } ?? inst }
                anchorStep = step; anchorMs = nowMs
            }
        } else {
            anchorStep = step; anchorMs = nowMs
        }
        self.step = step
    }

    public init() {}

    public var percent: Double? {
        guard let step, let totalSteps, totalSteps > 0 else { return nil }
        return min(100, Double(step) / Double(totalSteps) * 100)
    }
    public var etaSeconds: Double? {
        guard let step, let totalSteps, let rate, rate > 0 else { return nil }
        return Double(max(0, totalSteps - step)) / rate
    }

    public static func == (a: JobProgress, b: JobProgress) -> Bool {
        a.step == b.step && a.totalSteps == b.totalSteps && a.message == b.message && a.rate == b.rate
            && a.updatedMs == b.updatedMs && a.metrics.map(\.0) == b.metrics.map(\.0) && a.metrics.map(\.1) == b.metrics.map(\.1)
    }
}

public struct Job: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var kind: JobKind
    public var pid: Int32?
    public var requestedGPU: GPUChoice
    public var vramBytes: UInt64
    public var priority: Int
    public var labels: [String: String]
    public var state: JobState
    public var gpu: Int?
    public var gpuUUID: String?
    public var reservation: Reservation?
    public var progress: JobProgress?
    public var stages: [JobStage] = []
    public var peakVRAMBytes: UInt64?
    public var createdMs: Int64
    public var startedMs: Int64?
    public var endedMs: Int64?
    public var error: String?

    public var durationMs: Int64? {
        guard let startedMs else { return nil }
        return (endedMs ?? startedMs) - startedMs
    }
}
