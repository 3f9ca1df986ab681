import VitalsSupport
/// Everything one sampler tick saw. Immutable once built; shared by reference-free copy.
public struct Snapshot: Sendable {
    public var seq: UInt64
    /// Wall-clock time of the tick, ms since the epoch.
    public var ts: Int64
    /// Measured time since the previous tick on the monotonic clock; nil on the first tick.
    public var intervalMs: Double?
    public var host: HostInfo
    public var reading: HostReading
    public var gpu: GPUStatus
    /// How each collector fared this tick (host collectors in list order, then NVML when it
    /// was read). Daemon health, not machine data: `/metrics` and health show it, the
    /// stats JSON does not.
    public var collectors: [CollectorStatus]

    public init(seq: UInt64, ts: Int64, intervalMs: Double?, host: HostInfo, reading: HostReading, gpu: GPUStatus,
                collectors: [CollectorStatus] = []) {
        self.seq = seq; self.ts = ts; self.intervalMs = intervalMs; self.host = host
        self.reading = reading; self.gpu = gpu; self.collectors = collectors
    }
}
