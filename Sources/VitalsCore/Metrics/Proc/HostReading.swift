import VitalsSupport
/// Everything the host readers produced on one tick. Rates are nil on the first tick
/// (there is nothing to take a difference against yet).
public struct HostReading: Sendable {
    public var cpu: CPUUsage?
    public var cores: [CoreUsage]
    public var onlineCPUs: Int
    public var load: LoadAverage?
    public var memory: MemoryInfo?
    public var filesystems: [FilesystemUsage]
    public var disks: [DiskRate]?
    public var diskTotal: DiskRate?
    public var network: [NetRate]?
    public var networkTotal: NetRate?
    public var uptimeSeconds: Double?
    public var procsRunning: Int?
    public var procsBlocked: Int?
    /// The kernel's cumulative counters of physical whole disks and of every interface, as
    /// read this tick: `/metrics` exports them as counters (Prometheus takes rates itself).
    public var diskCounters: [DiskCounters]?
    public var netCounters: [NetCounters]?
    /// Cumulative CPU time of each online core (clock ticks), for node_exporter's counters.
    public var coreTimes: [CoreTimes]?
    /// One short line per reader that failed this tick, e.g. "diskstats: cannot open /proc/diskstats: …".
    public var errors: [String]

    public init(cpu: CPUUsage? = nil, cores: [CoreUsage] = [], onlineCPUs: Int = 0, load: LoadAverage? = nil,
                memory: MemoryInfo? = nil, filesystems: [FilesystemUsage] = [], disks: [DiskRate]? = nil,
                diskTotal: DiskRate? = nil, network: [NetRate]? = nil, networkTotal: NetRate? = nil,
                uptimeSeconds: Double? = nil, procsRunning: Int? = nil, procsBlocked: Int? = nil, errors: [String] = []) {
        self.cpu = cpu; self.cores = cores; self.onlineCPUs = onlineCPUs; self.load = load
        self.memory = memory; self.filesystems = filesystems; self.disks = disks; self.diskTotal = diskTotal
        self.network = network; self.networkTotal = networkTotal; self.uptimeSeconds = uptimeSeconds
        self.procsRunning = procsRunning; self.procsBlocked = procsBlocked; self.errors = errors
    }
}
