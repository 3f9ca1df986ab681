import VitalsSupport
/// The host side of one Sampler tick: runs each collector of its list over one shared file
/// buffer, times it and records whether it worked, and returns what they read together.
/// Used from one thread only (the sampler thread).
public final class HostSampler {
    private let procRoot: String
    private let sysRoot: String
    private let reader = ProcFileReader()
    private let collectors: [any HostCollector]
    /// How each collector fared on the last `sample`, in list order; updated in place so a
    /// tick allocates nothing for it unless a reader still holds the previous array.
    public private(set) var statuses: [CollectorStatus]

    public convenience init(procRoot: String = "/proc", sysRoot: String = "/sys",
                            statfs: @escaping (String) -> FilesystemStat? = HostSampler.systemStatfs) {
        self.init(procRoot: procRoot, sysRoot: sysRoot,
                  collectors: HostCollectors.standard(procRoot: procRoot, sysRoot: sysRoot, statfs: statfs))
    }

    init(procRoot: String, sysRoot: String, collectors: [any HostCollector]) {
        self.procRoot = procRoot
        self.sysRoot = sysRoot
        self.collectors = collectors
        statuses = collectors.map { CollectorStatus(name: $0.name, success: true, durationSeconds: 0) }
    }

    /// One reading of everything; rates come from deltas against the previous call over
    /// `monotonicNanos` (CLOCK_MONOTONIC, passed in so tests drive it). First call: rates nil.
    public func sample(monotonicNanos now: UInt64) -> HostReading {
        var out = HostReading()
        let context = CollectorContext(monotonicNanos: now, files: reader)
        for (i, collector) in collectors.enumerated() {
            let started = Clock.monotonicNs()
            var ok = true
            do {
                try collector.collect(into: &out, context: context)
            } catch {
                ok = false
                out.errors.append(error.message)
            }
            statuses[i].success = ok
            statuses[i].durationSeconds = Double(Clock.monotonicNs() &- started) / 1e9
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
}
