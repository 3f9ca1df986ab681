import VitalsSupport
/// Every series Vitals knows, declared once. History names (`stats/history?metrics=`), the
/// list history validates against, and `/metrics` all come from here. Adding a series is one
/// entry; its history name (if any) must never change once released, nor its Prometheus name.
///
/// Integers are converted with `{ Double($0) }`, never `.map(Double.init)`: on a `UInt64`
/// that unapplied reference resolves to `Double(bitPattern:)` and yields garbage (5e-314).
public enum MetricTable {
    public static let all: [MetricSeries] = host + filesystem + disk + network + gpuStatus + gpu + collectors

    static let host: [MetricSeries] = [
        MetricSeries(prometheus: "vitals_cpu_busy_ratio", history: "cpu.percent",
                     "Share of CPU time not idle nor waiting for I/O over the last tick, all CPUs.", unit: .ratio, scale: 0.01,
                     .host { $0.reading.cpu?.percent }),
        MetricSeries(prometheus: "vitals_cpu_user_ratio", history: "cpu.user",
                     "Share of CPU time in user mode (nice included) over the last tick.", unit: .ratio, scale: 0.01,
                     .host { $0.reading.cpu?.user }),
        MetricSeries(prometheus: "vitals_cpu_system_ratio", history: "cpu.system",
                     "Share of CPU time in the kernel (irq and softirq included) over the last tick.", unit: .ratio, scale: 0.01,
                     .host { $0.reading.cpu?.system }),
        MetricSeries(prometheus: "vitals_cpu_iowait_ratio", history: "cpu.iowait",
                     "Share of CPU time idle while waiting for I/O over the last tick.", unit: .ratio, scale: 0.01,
                     .host { $0.reading.cpu?.iowait }),
        MetricSeries(prometheus: "vitals_cpu_steal_ratio", history: "cpu.steal",
                     "Share of CPU time taken by the hypervisor over the last tick.", unit: .ratio, scale: 0.01,
                     .host { $0.reading.cpu?.steal }),
        MetricSeries(prometheus: "vitals_cpus_online", "Logical CPUs online.",
                     .host { s in s.reading.onlineCPUs > 0 ? Double(s.reading.onlineCPUs) : nil }),
        MetricSeries(prometheus: "vitals_load1", history: "load.1m", "1-minute load average.", .host { $0.reading.load?.one }),
        MetricSeries(prometheus: "vitals_load5", history: "load.5m", "5-minute load average.", .host { $0.reading.load?.five }),
        MetricSeries(prometheus: "vitals_load15", history: "load.15m", "15-minute load average.", .host { $0.reading.load?.fifteen }),
        MetricSeries(prometheus: "vitals_procs_running", "Tasks runnable now.", .host { $0.reading.procsRunning.map { Double($0) } }),
        MetricSeries(prometheus: "vitals_procs_blocked", "Tasks blocked on I/O now.", .host { $0.reading.procsBlocked.map { Double($0) } }),
        MetricSeries(prometheus: "vitals_memory_used_ratio", history: "memory.percent",
                     "RAM in use (total minus available) as a share of total.", unit: .ratio, scale: 0.01,
                     .host { $0.reading.memory?.percent }),
        MetricSeries(prometheus: "vitals_memory_used_bytes", history: "memory.used", "RAM in use: total minus available.",
                     unit: .bytes, .host { $0.reading.memory.map { Double($0.used) } }),
        MetricSeries(prometheus: "vitals_memory_available_bytes", history: "memory.available",
                     "RAM available for new work without swapping (MemAvailable).", unit: .bytes,
                     .host { $0.reading.memory.map { Double($0.available) } }),
        MetricSeries(prometheus: "vitals_memory_total_bytes", "Total usable RAM.", unit: .bytes,
                     .host { $0.reading.memory.map { Double($0.total) } }),
        MetricSeries(prometheus: "vitals_memory_free_bytes", "RAM not used for anything (MemFree).", unit: .bytes,
                     .host { $0.reading.memory.map { Double($0.free) } }),
        MetricSeries(prometheus: "vitals_memory_cached_bytes", "Page cache (Cached).", unit: .bytes,
                     .host { $0.reading.memory.map { Double($0.cached) } }),
        MetricSeries(prometheus: "vitals_memory_buffers_bytes", "Block device buffers (Buffers).", unit: .bytes,
                     .host { $0.reading.memory.map { Double($0.buffers) } }),
        MetricSeries(prometheus: "vitals_swap_used_ratio", history: "swap.percent", "Swap in use as a share of total swap.",
                     unit: .ratio, scale: 0.01, .host { $0.reading.memory?.swapPercent }),
        MetricSeries(prometheus: "vitals_swap_used_bytes", history: "swap.used", "Swap in use.", unit: .bytes,
                     .host { $0.reading.memory.map { Double($0.swapUsed) } }),
        MetricSeries(prometheus: "vitals_swap_total_bytes", "Total swap.", unit: .bytes,
                     .host { $0.reading.memory.map { Double($0.swapTotal) } }),
        // Rates are history's view; Prometheus gets the counters and takes rates itself.
        MetricSeries(prometheus: nil, history: "disk.read_bytes_per_s", "Bytes read per second, physical disks.",
                     .host { $0.reading.diskTotal?.readBytesPerSec }),
        MetricSeries(prometheus: nil, history: "disk.write_bytes_per_s", "Bytes written per second, physical disks.",
                     .host { $0.reading.diskTotal?.writeBytesPerSec }),
        MetricSeries(prometheus: nil, history: "disk.reads_per_s", "Reads completed per second, physical disks.",
                     .host { $0.reading.diskTotal?.readsPerSec }),
        MetricSeries(prometheus: nil, history: "disk.writes_per_s", "Writes completed per second, physical disks.",
                     .host { $0.reading.diskTotal?.writesPerSec }),
        MetricSeries(prometheus: nil, history: "net.rx_bytes_per_s", "Bytes received per second, physical interfaces.",
                     .host { $0.reading.networkTotal?.rxBytesPerSec }),
        MetricSeries(prometheus: nil, history: "net.tx_bytes_per_s", "Bytes sent per second, physical interfaces.",
                     .host { $0.reading.networkTotal?.txBytesPerSec }),
        MetricSeries(prometheus: nil, history: "net.rx_packets_per_s", "Packets received per second, physical interfaces.",
                     .host { $0.reading.networkTotal?.rxPacketsPerSec }),
        MetricSeries(prometheus: nil, history: "net.tx_packets_per_s", "Packets sent per second, physical interfaces.",
                     .host { $0.reading.networkTotal?.txPacketsPerSec }),
        MetricSeries(prometheus: nil, history: "fs.max_percent", "Fullest filesystem, percent used.",
                     .host { s in s.reading.filesystems.lazy.map(\.percent).max() }),
        MetricSeries(prometheus: "vitals_boot_time_seconds", "When the host booted, seconds since the epoch.", unit: .seconds,
                     .host { $0.host.bootTime.map { Double($0) } }),
    ]

    static let filesystem: [MetricSeries] = [
        MetricSeries(prometheus: "vitals_filesystem_size_bytes", "Filesystem size.", unit: .bytes,
                     .filesystem { Double($0.total) }),
        MetricSeries(prometheus: "vitals_filesystem_used_bytes", "Filesystem space in use (size minus free blocks).", unit: .bytes,
                     .filesystem { Double($0.used) }),
        MetricSeries(prometheus: "vitals_filesystem_avail_bytes", "Filesystem space an unprivileged user may still use.",
                     unit: .bytes, .filesystem { Double($0.free) }),
        MetricSeries(prometheus: "vitals_filesystem_used_ratio", "Filesystem use as df shows it: used / (used + avail).",
                     unit: .ratio, scale: 0.01, .filesystem { $0.percent }),
    ]

    static let disk: [MetricSeries] = [
        MetricSeries(prometheus: "vitals_disk_read_bytes", "Bytes read from the physical disk.", unit: .bytes, kind: .counter,
                     .disk { Double($0.sectorsRead) * 512 }),
        MetricSeries(prometheus: "vitals_disk_written_bytes", "Bytes written to the physical disk.", unit: .bytes, kind: .counter,
                     .disk { Double($0.sectorsWritten) * 512 }),
        MetricSeries(prometheus: "vitals_disk_reads_completed", "Reads completed by the physical disk.", kind: .counter,
                     .disk { Double($0.reads) }),
        MetricSeries(prometheus: "vitals_disk_writes_completed", "Writes completed by the physical disk.", kind: .counter,
                     .disk { Double($0.writes) }),
        MetricSeries(prometheus: "vitals_disk_io_time_seconds", "Time the physical disk spent doing I/O.", unit: .seconds,
                     kind: .counter, scale: 0.001, .disk { Double($0.ioTimeMs) }),
    ]

    static let network: [MetricSeries] = [
        MetricSeries(prometheus: "vitals_network_receive_bytes", "Bytes received by the interface.", unit: .bytes, kind: .counter,
                     .interface { Double($0.rxBytes) }),
        MetricSeries(prometheus: "vitals_network_transmit_bytes", "Bytes sent by the interface.", unit: .bytes, kind: .counter,
                     .interface { Double($0.txBytes) }),
        MetricSeries(prometheus: "vitals_network_receive_packets", "Packets received by the interface.", kind: .counter,
                     .interface { Double($0.rxPackets) }),
        MetricSeries(prometheus: "vitals_network_transmit_packets", "Packets sent by the interface.", kind: .counter,
                     .interface { Double($0.txPackets) }),
        MetricSeries(prometheus: "vitals_network_receive_errors", "Receive errors on the interface.", kind: .counter,
                     .interface { Double($0.rxErrors) }),
        MetricSeries(prometheus: "vitals_network_transmit_errors", "Transmit errors on the interface.", kind: .counter,
                     .interface { Double($0.txErrors) }),
        MetricSeries(prometheus: "vitals_network_receive_drop", "Received packets dropped by the interface.", kind: .counter,
                     .interface { Double($0.rxDropped) }),
        MetricSeries(prometheus: "vitals_network_transmit_drop", "Packets to send dropped by the interface.", kind: .counter,
                     .interface { Double($0.txDropped) }),
    ]

    /// Whether NVML answered on the last tick: 0 with GPU sampling off, while NVML is
    /// initializing or failing (its per-GPU series are then absent); every GPU asleep is 1
    /// (NVML is deliberately not called, the GPUs are still there).
    static let gpuStatus: [MetricSeries] = [
        MetricSeries(prometheus: "vitals_gpu_available", "1 when NVML answered on the last tick (GPUs listed), else 0.",
                     .host { s in if case .available = s.gpu { return 1 } else { return 0 } }),
    ]

    /// Per-GPU series; a history name here is the part after "gpuN.".
    static let gpu: [MetricSeries] = [
        MetricSeries(prometheus: "vitals_gpu_utilization_ratio", history: "utilization",
                     "Share of the last sample period a kernel ran on the GPU.", unit: .ratio, scale: 0.01,
                     .gpu { $0.utilizationGPU }),
        MetricSeries(prometheus: "vitals_gpu_memory_used_bytes", history: "memory_used", "GPU memory in use.", unit: .bytes,
                     .gpu { $0.memoryUsed.map { Double($0) } }),
        MetricSeries(prometheus: "vitals_gpu_memory_used_ratio", history: "memory_percent", "GPU memory in use as a share of total.",
                     unit: .ratio, scale: 0.01, .gpu { $0.memoryPercent }),
        MetricSeries(prometheus: "vitals_gpu_temperature_celsius", history: "temperature_c", "GPU core temperature.",
                     unit: .celsius, .gpu { $0.temperatureC }),
        MetricSeries(prometheus: "vitals_gpu_power_watts", history: "power_w", "GPU power draw.", unit: .watts,
                     .gpu { $0.powerWatts }),
        MetricSeries(prometheus: "vitals_gpu_memory_total_bytes", "GPU memory in total.", unit: .bytes,
                     .gpu { $0.memoryTotal.map { Double($0) } }),
        MetricSeries(prometheus: "vitals_gpu_memory_free_bytes", "GPU memory free.", unit: .bytes,
                     .gpu { $0.memoryFree.map { Double($0) } }),
        MetricSeries(prometheus: "vitals_gpu_memory_utilization_ratio",
                     "Share of the last sample period GPU memory was being read or written.", unit: .ratio, scale: 0.01,
                     .gpu { $0.utilizationMemory }),
        MetricSeries(prometheus: "vitals_gpu_power_limit_watts", "GPU power limit in force.", unit: .watts,
                     .gpu { $0.powerLimitWatts }),
        MetricSeries(prometheus: "vitals_gpu_fan_speed_ratio", "GPU fan speed as a share of its maximum.", unit: .ratio,
                     scale: 0.01, .gpu { $0.fanPercent }),
        MetricSeries(prometheus: "vitals_gpu_sm_clock_hertz", "GPU SM clock.", unit: .hertz, scale: 1e6,
                     .gpu { $0.smClockMHz.map { Double($0) } }),
        MetricSeries(prometheus: "vitals_gpu_memory_clock_hertz", "GPU memory clock.", unit: .hertz, scale: 1e6,
                     .gpu { $0.memClockMHz.map { Double($0) } }),
        MetricSeries(prometheus: "vitals_gpu_performance_state", "GPU performance state (0 = P0, fastest, to 15).",
                     .gpu { $0.performanceState.map { Double($0) } }),
    ]

    static let collectors: [MetricSeries] = [
        MetricSeries(prometheus: "vitals_collector_success", "1 when the collector read its part on the last tick, else 0.",
                     .collector { $0.success ? 1 : 0 }),
        MetricSeries(prometheus: "vitals_collector_duration_seconds", "How long the collector took on the last tick.",
                     unit: .seconds, .collector { $0.durationSeconds }),
    ]

    static let hostHistory: [(name: String, series: MetricSeries)] = all.compactMap { s in
        guard !s.isPerGPU, let h = s.historyName else { return nil }
        return (h, s)
    }
    static let gpuHistory: [(suffix: String, series: MetricSeries)] = all.compactMap { s in
        guard s.isPerGPU, let h = s.historyName else { return nil }
        return (h, s)
    }

    /// What one tick's history walk needs of a series, and nothing more: copying a whole
    /// `MetricSeries` (three strings and a closure) per series per tick was most of the walk.
    private struct HostHistoryRead {
        let name: String
        let read: MetricRead
    }
    private static let hostHistoryReads: [HostHistoryRead] = hostHistory.map { HostHistoryRead(name: $0.name, read: $0.series.read) }
    private static let gpuHistoryReads: [@Sendable (GPUDevice) -> Double?] = gpuHistory.map { g in
        if case .gpu(let read) = g.series.read { return read }
        return { _ in nil }
    }
    /// "gpuN.suffix" for the first GPUs, built once instead of on every tick.
    private static let gpuHistoryNames: [[String]] = (0..<16).map { i in gpuHistory.map { "gpu\(i)." + $0.suffix } }

    /// A series by its Prometheus family name, or by its history name (per-GPU ones without
    /// the `gpuN.` prefix); rules (health, alerts) name their series this way.
    public static func series(named name: String) -> MetricSeries? {
        byName[name]
    }

    private static let byName: [String: MetricSeries] = {
        var m: [String: MetricSeries] = [:]
        for s in all {
            if let h = s.historyName, m[h] == nil { m[h] = s }
            if let p = s.prometheusName { m[p] = s }
        }
        return m
    }()

    /// Every history name valid now: host series, then per-GPU series for `gpuCount` GPUs.
    public static func historyNames(gpuCount: Int) -> [String] {
        var out = hostHistory.map(\.name)
        for i in 0..<max(0, gpuCount) { for g in gpuHistory { out.append("gpu\(i)." + g.suffix) } }
        return out
    }

    /// The history values of one snapshot, in API units. Unknown values are not stored: a gap.
    public static func historyValues(of s: Snapshot) -> [(String, Double)] {
        let reads = hostHistoryReads, gpuReads = gpuHistoryReads
        var out: [(String, Double)] = []
        out.reserveCapacity(reads.count + gpuReads.count * s.gpu.devices.count)
        for h in reads {
            if case .host(let read) = h.read {
                if let v = read(s), v.isFinite { out.append((h.name, v)) }
            } else {
                MetricSeries.forEachSample(of: h.read, in: s) { _, v in out.append((h.name, v)) }
            }
        }
        for d in s.gpu.devices {
            let names = d.index >= 0 && d.index < gpuHistoryNames.count ? gpuHistoryNames[d.index] : nil
            for (j, read) in gpuReads.enumerated() {
                guard let v = read(d), v.isFinite else { continue }
                out.append((names?[j] ?? "gpu\(d.index)." + gpuHistory[j].suffix, v))
            }
        }
        return out
    }
}
