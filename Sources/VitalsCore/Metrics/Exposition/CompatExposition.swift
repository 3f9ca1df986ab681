import Glibc
import VitalsSupport

/// Series under the names and labels other exporters publish, for what Vitals measures
/// (opt-in, `metrics.compat`), so dashboards built for node_exporter (Grafana 1860) and
/// dcgm-exporter (Grafana 12239) work on a Vitals host unchanged: one small daemon in
/// place of both.
public enum MetricsCompat: String, Sendable, CaseIterable {
    case nodeExporter = "node_exporter"
    case dcgm
}

enum CompatExposition {
    static let clockTicks: Double = {
        let t = sysconf(Int32(_SC_CLK_TCK))
        return t > 0 ? Double(t) : 100
    }()

    static func write(_ s: Snapshot, sets: Set<MetricsCompat>, into w: inout ExpositionWriter) {
        if sets.contains(.nodeExporter) { writeNode(s, into: &w) }
        if sets.contains(.dcgm) { writeDCGM(s, into: &w) }
    }

    // MARK: node_exporter (collector/*_linux.go names; values as it reports them)

    static func writeNode(_ s: Snapshot, into w: inout ExpositionWriter) {
        let r = s.reading
        if let cores = r.coreTimes {
            w.family("node_cpu_seconds", help: "Seconds the CPUs spent in each mode.", kind: .counter)
            for c in cores {
                let cpu = String(c.index), t = c.times
                for (mode, ticks) in [("user", t.user), ("nice", t.nice), ("system", t.system), ("idle", t.idle),
                                      ("iowait", t.iowait), ("irq", t.irq), ("softirq", t.softirq), ("steal", t.steal)] {
                    w.sample(labels: [("cpu", cpu), ("mode", mode)], Double(ticks) / clockTicks)
                }
            }
        }
        if let l = r.load {
            gauge(&w, "node_load1", "1m load average.", l.one)
            gauge(&w, "node_load5", "5m load average.", l.five)
            gauge(&w, "node_load15", "15m load average.", l.fifteen)
        }
        if let m = r.memory {
            gauge(&w, "node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", Double(m.total))
            gauge(&w, "node_memory_MemFree_bytes", "Memory information field MemFree_bytes.", Double(m.free))
            gauge(&w, "node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes.", Double(m.available))
            gauge(&w, "node_memory_Buffers_bytes", "Memory information field Buffers_bytes.", Double(m.buffers))
            gauge(&w, "node_memory_Cached_bytes", "Memory information field Cached_bytes.", Double(m.cached))
            gauge(&w, "node_memory_SwapTotal_bytes", "Memory information field SwapTotal_bytes.", Double(m.swapTotal))
            gauge(&w, "node_memory_SwapFree_bytes", "Memory information field SwapFree_bytes.", Double(m.swapFree))
        }
        if let boot = s.host.bootTime { gauge(&w, "node_boot_time_seconds", "Node boot time, in unixtime.", Double(boot)) }
        if let n = r.procsRunning { gauge(&w, "node_procs_running", "Number of processes in runnable state.", Double(n)) }
        if let n = r.procsBlocked { gauge(&w, "node_procs_blocked", "Number of processes blocked waiting for I/O to complete.", Double(n)) }

        // node_exporter's free is every free block (reserved ones too); avail what users may take.
        let fs: [(String, String, (FilesystemUsage) -> Double)] = [
            ("node_filesystem_size_bytes", "Filesystem size in bytes.", { Double($0.total) }),
            ("node_filesystem_free_bytes", "Filesystem free space in bytes.", { Double($0.total &- $0.used) }),
            ("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", { Double($0.free) }),
        ]
        for (name, help, read) in fs where !r.filesystems.isEmpty {
            w.family(name, help: help, kind: .gauge)
            for f in r.filesystems {
                w.sample(labels: [("device", f.device), ("fstype", f.fsType), ("mountpoint", f.mountPoint)], read(f))
            }
        }

        let net: [(String, String, (NetCounters) -> UInt64)] = [
            ("node_network_receive_bytes", "Network device statistic receive_bytes.", { $0.rxBytes }),
            ("node_network_receive_packets", "Network device statistic receive_packets.", { $0.rxPackets }),
            ("node_network_receive_errs", "Network device statistic receive_errs.", { $0.rxErrors }),
            ("node_network_receive_drop", "Network device statistic receive_drop.", { $0.rxDropped }),
            ("node_network_transmit_bytes", "Network device statistic transmit_bytes.", { $0.txBytes }),
            ("node_network_transmit_packets", "Network device statistic transmit_packets.", { $0.txPackets }),
            ("node_network_transmit_errs", "Network device statistic transmit_errs.", { $0.txErrors }),
            ("node_network_transmit_drop", "Network device statistic transmit_drop.", { $0.txDropped }),
        ]
        if let ifaces = r.netCounters, !ifaces.isEmpty {
            for (name, help, read) in net {
                w.family(name, help: help, kind: .counter)
                for n in ifaces { w.sample(labels: [("device", n.name)], Double(read(n))) }
            }
        }

        let disk: [(String, String, (DiskCounters) -> Double)] = [
            ("node_disk_read_bytes", "The total number of bytes read successfully.", { Double($0.sectorsRead) * 512 }),
            ("node_disk_written_bytes", "The total number of bytes written successfully.", { Double($0.sectorsWritten) * 512 }),
            ("node_disk_reads_completed", "The total number of reads completed successfully.", { Double($0.reads) }),
            ("node_disk_writes_completed", "The total number of writes completed successfully.", { Double($0.writes) }),
            ("node_disk_io_time_seconds", "Total seconds spent doing I/Os.", { Double($0.ioTimeMs) / 1000 }),
        ]
        if let disks = r.diskCounters, !disks.isEmpty {
            for (name, help, read) in disk {
                w.family(name, help: help, kind: .counter)
                for d in disks { w.sample(labels: [("device", d.name)], read(d)) }
            }
        }
    }

    // MARK: dcgm-exporter (etc/default-counters.csv names and units: %, MiB, °C, W, MHz)

    static func writeDCGM(_ s: Snapshot, into w: inout ExpositionWriter) {
        let devices = s.gpu.devices.filter { !$0.asleep }
        guard !devices.isEmpty else { return }
        let mib = 1024.0 * 1024.0
        let fields: [(String, String, (GPUDevice) -> Double?)] = [
            ("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", { $0.utilizationGPU }),
            ("DCGM_FI_DEV_MEM_COPY_UTIL", "Memory utilization (in %).", { $0.utilizationMemory }),
            ("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", { $0.memoryUsed.map { Double($0) / mib } }),
            ("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).", { $0.memoryFree.map { Double($0) / mib } }),
            ("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", { $0.temperatureC }),
            ("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", { $0.powerWatts }),
            ("DCGM_FI_DEV_SM_CLOCK", "SM clock frequency (in MHz).", { $0.smClockMHz.map(Double.init) }),
            ("DCGM_FI_DEV_MEM_CLOCK", "Memory clock frequency (in MHz).", { $0.memClockMHz.map(Double.init) }),
        ]
        for (name, help, read) in fields {
            w.family(name, help: help, kind: .gauge)
            for d in devices {
                guard let v = read(d) else { continue }
                w.sample(labels: [("gpu", String(d.index)), ("UUID", d.uuid ?? ""), ("device", "nvidia\(d.index)"),
                                  ("modelName", d.name ?? ""), ("pci_bus_id", d.pciBusId ?? ""), ("Hostname", s.host.hostname)], v)
            }
        }
    }

    private static func gauge(_ w: inout ExpositionWriter, _ name: String, _ help: String, _ v: Double) {
        w.family(name, help: help, kind: .gauge)
        w.sample(v)
    }
}
