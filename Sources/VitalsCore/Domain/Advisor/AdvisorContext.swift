/// What the advisor looks at, gathered by the caller (live snapshot, history, settings) so
/// every advisor function stays pure and testable with literal figures.
public struct AdvisorContext: Sendable {
    public var gpus: [GPUMemory]
    /// The same GPUs' other live figures (temperature, power, processes).
    public var devices: [GPUDevice]
    public var memoryPercent: Double?
    public var cpuPercent: Double?
    /// The fullest filesystem.
    public var disk: (mountPoint: String, percent: Double)?
    public var constraints: ResourceConstraints
    public var workload: Workload
    public var settings: OptimizationSettings
    /// Per GPU index; empty when history was not read (or is not kept).
    public var history: [Int: GPUMemoryHistory]

    public init(gpus: [GPUMemory], devices: [GPUDevice] = [], memoryPercent: Double? = nil, cpuPercent: Double? = nil,
                disk: (mountPoint: String, percent: Double)? = nil, constraints: ResourceConstraints = ResourceConstraints(),
                workload: Workload = Workload(), settings: OptimizationSettings = OptimizationSettings(),
                history: [Int: GPUMemoryHistory] = [:]) {
        self.gpus = gpus; self.devices = devices; self.memoryPercent = memoryPercent; self.cpuPercent = cpuPercent
        self.disk = disk; self.constraints = constraints; self.workload = workload; self.settings = settings
        self.history = history
    }

    /// From a snapshot: GPUs whose memory could be read, RAM, CPU and the fullest filesystem.
    public init(snapshot: Snapshot?, constraints: ResourceConstraints, workload: Workload, settings: OptimizationSettings,
                history: [Int: GPUMemoryHistory] = [:]) {
        let devices = snapshot?.gpu.devices ?? []
        let fullest = snapshot?.reading.filesystems.max { $0.percent < $1.percent }
        self.init(gpus: GPUMemory.of(devices), devices: devices, memoryPercent: snapshot?.reading.memory?.percent,
                  cpuPercent: snapshot?.reading.cpu?.percent, disk: fullest.map { ($0.mountPoint, $0.percent) },
                  constraints: constraints, workload: workload, settings: settings, history: history)
    }

    public var estimate: VRAMEstimate { VRAMEstimator.estimate(workload, settings) }

    /// The GPU with the most free memory: where a new job would go.
    public var roomiestGPU: GPUMemory? { gpus.max { $0.freeBytes < $1.freeBytes } }

    /// A GPU's memory in use now, percent of total; nil when it could not be read.
    func usedPercent(_ index: Int) -> Double? {
        guard let g = gpus.first(where: { $0.index == index }), g.totalBytes > 0 else { return nil }
        return Double(g.usedBytes) / Double(g.totalBytes) * 100
    }

    /// Other processes hold a GiB or more on a GPU that is past the VRAM warning level.
    func crowdedByOthers(_ d: GPUDevice) -> Bool {
        d.processMemoryBytes >= 1 << 30 && (usedPercent(d.index) ?? 0) >= constraints.vram.warning
    }

    /// The fastest preset (other than the current settings, when asked) whose peak fits `budget`.
    func fastestPreset(fitting budget: UInt64, excludingCurrent: Bool)
        -> (preset: OptimizationPreset, settings: OptimizationSettings, estimate: VRAMEstimate)? {
        OptimizationPresets.all.lazy.map { p in
            let s = p.applied(to: self.settings)
            return (preset: p, settings: s, estimate: VRAMEstimator.estimate(self.workload, s))
        }.filter { !(excludingCurrent && $0.settings == self.settings) && $0.estimate.peakBytes <= budget }
         .min { $0.estimate.relativeTime < $1.estimate.relativeTime }
    }
}

extension GPUDevice {
    /// GPU memory the listed processes hold (those whose figure NVML reports).
    var processMemoryBytes: UInt64 { (processes ?? []).compactMap(\.usedMemoryBytes).reduce(0, +) }
    /// Drawing 98 % or more of the power limit: the clocks are being held back.
    var atPowerLimit: Bool {
        guard let p = powerWatts, let l = powerLimitWatts, l > 0 else { return false }
        return p >= l * 0.98
    }
}

/// One GPU's memory over time, from the history database.
public struct GPUMemoryHistory: Sendable, Equatable {
    public var peakHourBytes: UInt64?
    public var peakDayBytes: UInt64?
    /// Change of the hourly average over the last hour, bytes per hour (positive: rising).
    public var trendBytesPerHour: Double?

    public init(peakHourBytes: UInt64?, peakDayBytes: UInt64?, trendBytesPerHour: Double?) {
        self.peakHourBytes = peakHourBytes; self.peakDayBytes = peakDayBytes; self.trendBytesPerHour = trendBytesPerHour
    }
}
