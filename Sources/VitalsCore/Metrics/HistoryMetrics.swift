import VitalsSupport
/// The series that go into history, by name. The names are the API's vocabulary for
/// `stats/history?metrics=...`; a name not listed here is a 400 that lists these.
public enum HistoryMetrics {
    static let hostNames: [String] = [
        "cpu.percent", "cpu.user", "cpu.system", "cpu.iowait", "cpu.steal",
        "load.1m", "load.5m", "load.15m",
        "memory.percent", "memory.used", "memory.available",
        "swap.percent", "swap.used",
        "disk.read_bytes_per_s", "disk.write_bytes_per_s", "disk.reads_per_s", "disk.writes_per_s",
        "net.rx_bytes_per_s", "net.tx_bytes_per_s", "net.rx_packets_per_s", "net.tx_packets_per_s",
        "fs.max_percent",
    ]

    static let gpuSuffixes = ["utilization", "memory_used", "memory_percent", "temperature_c", "power_w"]

    /// Every name valid now: host series plus per-GPU series for the GPUs seen so far.
    public static func names(gpuCount: Int) -> [String] {
        var out = hostNames
        for i in 0..<gpuCount { for s in gpuSuffixes { out.append("gpu\(i).\(s)") } }
        return out
    }

    /// The values of one snapshot. Unknown (nil) values are simply not stored: a gap.
    public static func values(of s: Snapshot) -> [(String, Double)] {
        var out: [(String, Double)] = []
        out.reserveCapacity(hostNames.count + 5 * s.gpu.devices.count)
        func add(_ name: String, _ v: Double?) { if let v, v.isFinite { out.append((name, v)) } }
        let r = s.reading
        add("cpu.percent", r.cpu?.percent)
        add("cpu.user", r.cpu?.user)
        add("cpu.system", r.cpu?.system)
        add("cpu.iowait", r.cpu?.iowait)
        add("cpu.steal", r.cpu?.steal)
        add("load.1m", r.load?.one)
        add("load.5m", r.load?.five)
        add("load.15m", r.load?.fifteen)
        add("memory.percent", r.memory?.percent)
        add("memory.used", r.memory.map { Double($0.used) })
        add("memory.available", r.memory.map { Double($0.available) })
        add("swap.percent", r.memory?.swapPercent)
        add("swap.used", r.memory.map { Double($0.swapUsed) })
        add("disk.read_bytes_per_s", r.diskTotal?.readBytesPerSec)
        add("disk.write_bytes_per_s", r.diskTotal?.writeBytesPerSec)
        add("disk.reads_per_s", r.diskTotal?.readsPerSec)
        add("disk.writes_per_s", r.diskTotal?.writesPerSec)
        add("net.rx_bytes_per_s", r.networkTotal?.rxBytesPerSec)
        add("net.tx_bytes_per_s", r.networkTotal?.txBytesPerSec)
        add("net.rx_packets_per_s", r.networkTotal?.rxPacketsPerSec)
        add("net.tx_packets_per_s", r.networkTotal?.txPacketsPerSec)
        add("fs.max_percent", r.filesystems.map(\.percent).max())
        for d in s.gpu.devices {
            let p = "gpu\(d.index)."
            add(p + "utilization", d.utilizationGPU)
            add(p + "memory_used", d.memoryUsed.map(Double.init))
            add(p + "memory_percent", d.memoryPercent)
            add(p + "temperature_c", d.temperatureC)
            add(p + "power_w", d.powerWatts)
        }
        return out
    }
}
