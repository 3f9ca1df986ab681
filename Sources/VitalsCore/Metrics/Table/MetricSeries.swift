import VitalsSupport
/// Prometheus' two kinds that a snapshot series can be (histograms come only from the
/// daemon's own figures, see `ExpositionWriter`).
public enum MetricKind: Sendable { case gauge, counter, histogram }

/// The base unit a series is exported in: the suffix of its Prometheus name and its
/// OpenMetrics UNIT. `none` for counts and plain numbers.
public enum MetricUnit: String, Sendable {
    case none = "", bytes, seconds, celsius, watts, hertz, ratio
}

/// What one sample is about; its labels follow from it, the same way for every series of
/// the same scope. The alert engine selects samples by these labels ("gpu" = "0").
public enum MetricSubject: Sendable {
    case host
    case gpu(GPUDevice)
    case filesystem(FilesystemUsage)
    case interface(NetCounters)
    case disk(DiskCounters)
    case collector(CollectorStatus)

    /// The label names of this scope, in the order they are written.
    public var labelNames: [String] {
        switch self {
        case .host: return []
        case .gpu: return ["gpu", "uuid", "name"]
        case .filesystem: return ["mountpoint", "fstype", "device"]
        case .interface, .disk: return ["device"]
        case .collector: return ["collector"]
        }
    }

    /// The value of one label, nil when this subject has no such label. A GPU whose UUID or
    /// name the driver did not give has "" there: the label set stays the same for all GPUs.
    public func label(_ name: String) -> String? {
        switch (self, name) {
        case (.gpu(let d), "gpu"): return String(d.index)
        case (.gpu(let d), "uuid"): return d.uuid ?? ""
        case (.gpu(let d), "name"): return d.name ?? ""
        case (.filesystem(let f), "mountpoint"): return f.mountPoint
        case (.filesystem(let f), "fstype"): return f.fsType
        case (.filesystem(let f), "device"): return f.device
        case (.interface(let n), "device"): return n.name
        case (.disk(let d), "device"): return d.name
        case (.collector(let c), "collector"): return c.name
        default: return nil
        }
    }

    /// (name, value) pairs, for consumers that want them as data rather than as text.
    public var labels: [(String, String)] { labelNames.map { ($0, label($0) ?? "") } }
}

/// How a series is read from a snapshot: one closure per scope, so unlabelled, per-GPU,
/// per-filesystem, per-interface and per-disk series all yield (subject, value) samples.
public enum MetricRead: Sendable {
    case host(@Sendable (Snapshot) -> Double?)
    case gpu(@Sendable (GPUDevice) -> Double?)
    case filesystem(@Sendable (FilesystemUsage) -> Double?)
    case interface(@Sendable (NetCounters) -> Double?)
    case disk(@Sendable (DiskCounters) -> Double?)
    case collector(@Sendable (CollectorStatus) -> Double?)
}

/// One series, declared once: its Prometheus family name (where it is exported), its
/// history name (where it is kept; for per-GPU series the part after "gpuN."), help, unit,
/// kind, and how it is read. Values are read in the API's units (percent 0-100, MHz, ms);
/// `scale` turns them into the base unit `/metrics` uses (ratio 0-1, Hz, seconds).
public struct MetricSeries: Sendable {
    /// Family name; a counter's samples add `_total`.
    public let prometheusName: String?
    public let historyName: String?
    public let help: String
    public let unit: MetricUnit
    public let kind: MetricKind
    public let scale: Double
    public let read: MetricRead

    init(prometheus: String?, history: String? = nil, _ help: String, unit: MetricUnit = .none,
         kind: MetricKind = .gauge, scale: Double = 1, _ read: MetricRead) {
        self.prometheusName = prometheus; self.historyName = history; self.help = help
        self.unit = unit; self.kind = kind; self.scale = scale; self.read = read
    }

    /// Every sample of this series in one snapshot, in API units. Unknown (nil) and
    /// non-finite values yield nothing: a gap, never a made-up zero.
    public func forEachSample(in s: Snapshot, _ body: (MetricSubject, Double) -> Void) {
        Self.forEachSample(of: read, in: s, body)
    }

    static func forEachSample(of read: MetricRead, in s: Snapshot, _ body: (MetricSubject, Double) -> Void) {
        func emit(_ subject: @autoclosure () -> MetricSubject, _ v: Double?) {
            if let v, v.isFinite { body(subject(), v) }
        }
        switch read {
        case .host(let f): emit(.host, f(s))
        case .gpu(let f): for d in s.gpu.devices { emit(.gpu(d), f(d)) }
        case .filesystem(let f): for x in s.reading.filesystems { emit(.filesystem(x), f(x)) }
        case .interface(let f): for x in s.reading.netCounters ?? [] { emit(.interface(x), f(x)) }
        case .disk(let f): for x in s.reading.diskCounters ?? [] { emit(.disk(x), f(x)) }
        case .collector(let f): for x in s.collectors { emit(.collector(x), f(x)) }
        }
    }

    public var isPerGPU: Bool { if case .gpu = read { return true }; return false }
}
