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

    public init(seq: UInt64, ts: Int64, intervalMs: Double?, host: HostInfo, reading: HostReading, gpu: GPUStatus) {
        self.seq = seq; self.ts = ts; self.intervalMs = intervalMs; self.host = host
        self.reading = reading; self.gpu = gpu
    }
}
