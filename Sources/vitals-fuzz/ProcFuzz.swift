@testable import VitalsCore

/// The /proc and /sys readers, one target each, on the bytes a read() would hand them.
/// Kernel files are trusted less than they look (containers bind-mount fakes, fixtures are
/// hand-made, lines grow fields across kernels), and a trap in a parser stops the sampler.
/// Where the daemon turns two readings into rates, a NUL byte splits the input into the
/// earlier and the later file and the rates are computed too (counters going backwards,
/// wrapping or summing past 2^64 are the risk there). Oracle: no crash, no overflow trap.
enum ProcFuzz {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "proc-stat") { input in
            let (old, new) = readings(input, ProcStatParser.parse)
            if let old, let new {
                _ = CPUUsageCalculator.usage(from: old.total, to: new.total)
                _ = CPUUsageCalculator.coreUsages(from: old.cores, to: new.cores)
            }
        },
        FuzzTarget(name: "proc-meminfo") { input in _ = bytes(input, MemInfoParser.parse) },
        FuzzTarget(name: "proc-loadavg") { input in _ = bytes(input, LoadAverageParser.parse) },
        FuzzTarget(name: "proc-uptime") { input in _ = bytes(input, UptimeParser.parse) },
        FuzzTarget(name: "proc-diskstats") { input in
            let (old, new) = readings(input, DiskStatsParser.parse)
            for (a, b) in zip(old ?? [], new ?? []) { _ = DiskRateTracker.rate(from: a, to: b, seconds: 1) }
        },
        FuzzTarget(name: "proc-netdev") { input in
            let (old, new) = readings(input, NetDevParser.parse)
            for (a, b) in zip(old ?? [], new ?? []) { _ = NetRateTracker.rate(from: a, to: b, seconds: 1, isVirtual: false) }
        },
        FuzzTarget(name: "proc-mounts") { input in
            let mounts = bytes(input, MountsParser.parse)
            let types = bytes(input, MountsParser.blockBackedTypes)
            _ = MountsParser.realFilesystems(mounts, blockBackedTypes: types)
        },
        FuzzTarget(name: "proc-cpuinfo") { input in
            let text = String(decoding: input, as: UTF8.self)
            _ = HostInfoParser.cpuModel(text)
            _ = HostInfoParser.processorCount(text)
            _ = HostInfoParser.cpuListCount(text)   // /sys/devices/system/cpu/present
        },
        FuzzTarget(name: "proc-pid-stat") { input in _ = PidStat(Array(input)) },
        FuzzTarget(name: "proc-cgroup") { input in _ = ContainerID.parse(cgroup: String(decoding: input, as: UTF8.self)) },
    ]

    static func bytes<R>(_ input: UnsafeRawBufferPointer, _ parse: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        parse(input.assumingMemoryBound(to: UInt8.self))
    }

    /// The earlier and the later reading: the parts around the first NUL, or the whole
    /// input twice.
    static func readings<R>(_ input: UnsafeRawBufferPointer, _ parse: (UnsafeBufferPointer<UInt8>) -> R?) -> (R?, R?) {
        let all = input.assumingMemoryBound(to: UInt8.self)
        guard let nul = all.firstIndex(of: 0) else { let r = parse(all); return (r, r) }
        return (parse(UnsafeBufferPointer(rebasing: all[..<nul])), parse(UnsafeBufferPointer(rebasing: all[(nul + 1)...])))
    }
}
