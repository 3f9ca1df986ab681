import VitalsSupport
/// The host side of one Sampler tick: reads /proc and /sys, keeps the previous counters,
/// and returns usage and rates. Used from one thread only (the sampler thread).
public final class HostSampler {
    private let procRoot: String
    private let sysRoot: String
    private let statPath, loadavgPath, meminfoPath, uptimePath, diskstatsPath, netdevPath: String
    private let reader = ProcFileReader()
    private let filesystems: FilesystemReader
    private let disks: DiskRateTracker
    private let net: NetRateTracker
    private var previousStat: ProcStat?

    public init(procRoot: String = "/proc", sysRoot: String = "/sys",
                statfs: @escaping (String) -> FilesystemStat? = HostSampler.systemStatfs) {
        self.procRoot = procRoot
        self.sysRoot = sysRoot
        statPath = procRoot + "/stat"
        loadavgPath = procRoot + "/loadavg"
        meminfoPath = procRoot + "/meminfo"
        uptimePath = procRoot + "/uptime"
        diskstatsPath = procRoot + "/diskstats"
        netdevPath = procRoot + "/net/dev"
        filesystems = FilesystemReader(procRoot: procRoot, statfs: statfs)
        disks = DiskRateTracker(sysRoot: sysRoot)
        net = NetRateTracker(sysRoot: sysRoot)
    }

    /// One reading of everything; rates come from deltas against the previous call over
    /// `monotonicNanos` (CLOCK_MONOTONIC, passed in so tests drive it). First call: rates nil.
    public func sample(monotonicNanos now: UInt64) -> HostReading {
        var out = HostReading()

        switch reader.read(statPath, ProcStatParser.parse) {
        case .success(let stat):
            if let old = previousStat {
                out.cpu = CPUUsageCalculator.usage(from: old.total, to: stat.total)
                out.cores = CPUUsageCalculator.coreUsages(from: old.cores, to: stat.cores)
            }
            out.onlineCPUs = stat.cores.count
            out.procsRunning = stat.procsRunning
            out.procsBlocked = stat.procsBlocked
            previousStat = stat
        case .failure(let e):
            // Keep the old reading: the next good one still yields a (longer-interval) rate.
            out.errors.append("stat: " + e.message)
        }

        out.load = value(reader.read(loadavgPath, LoadAverageParser.parse), "loadavg", &out.errors)
        out.memory = value(reader.read(meminfoPath, MemInfoParser.parse), "meminfo", &out.errors)
        out.uptimeSeconds = value(reader.read(uptimePath, UptimeParser.parse), "uptime", &out.errors)
        out.filesystems = filesystems.read(reader: reader, monotonicNanos: now, errors: &out.errors)

        if let counters = value(reader.read(diskstatsPath, DiskStatsParser.parse), "diskstats", &out.errors),
           let rates = disks.update(counters, monotonicNanos: now) {
            out.disks = rates.disks
            out.diskTotal = rates.total
        }
        if let counters = value(reader.read(netdevPath, NetDevParser.parse), "net/dev", &out.errors),
           let rates = net.update(counters, monotonicNanos: now) {
            out.network = rates.interfaces
            out.networkTotal = rates.total
        }
        return out
    }

    /// Facts that rarely change; cheap enough to call every minute.
    public func hostInfo() -> HostInfo {
        let hostname = text(procRoot + "/sys/kernel/hostname") ?? "unknown"
        let kernel = text(procRoot + "/sys/kernel/osrelease") ?? "unknown"
        let cpuinfo = (try? reader.readString(procRoot + "/cpuinfo").get()) ?? ""
        let model = HostInfoParser.cpuModel(cpuinfo) ?? "unknown"
        let present = text(sysRoot + "/devices/system/cpu/present").flatMap(HostInfoParser.cpuListCount)
        let count = present ?? HostInfoParser.processorCount(cpuinfo)
        let bootTime = (try? reader.read(procRoot + "/stat", ProcStatParser.parse).get())?.bootTime
        return HostInfo(hostname: hostname, kernel: kernel, cpuModel: model, cpuCount: count, bootTime: bootTime)
    }

    private func text(_ path: String) -> String? {
        guard let raw = try? reader.readString(path).get() else { return nil }
        let trimmed = HostInfoParser.trim(Substring(raw))
        return trimmed.isEmpty ? nil : trimmed
    }

    private func value<T>(_ result: Result<T, ProcReadError>, _ name: String, _ errors: inout [String]) -> T? {
        switch result {
        case .success(let v): return v
        case .failure(let e): errors.append(name + ": " + e.message); return nil
        }
    }
}
