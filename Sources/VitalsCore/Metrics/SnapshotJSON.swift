import VitalsSupport
/// The JSON form of a snapshot: what `GET /api/v1/system/stats` returns and what the
/// `system_stats` WebSocket topic carries. Encoded once per tick.
public enum SnapshotJSON {
    public static func encode(_ s: Snapshot) -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.field("seq", s.seq)
        w.field("ts", s.ts)
        w.field("timestamp", TimeFormat.iso8601(ms: s.ts))
        w.field("interval_ms", s.intervalMs, decimals: 1)
        writeHost(&w, s.host, s.reading)
        writeCPU(&w, s.reading)
        writeMemory(&w, s.reading.memory)
        writeFilesystems(&w, s.reading.filesystems)
        writeDiskIO(&w, s.reading)
        writeNetwork(&w, s.reading)
        w.key("gpu")
        GPUJSON.write(&w, s.gpu)
        if !s.reading.errors.isEmpty {
            w.key("errors"); w.beginArray()
            for e in s.reading.errors { w.string(e) }
            w.endArray()
        }
        w.endObject()
        return w.bytes
    }

    private static func writeHost(_ w: inout JSONWriter, _ h: HostInfo, _ r: HostReading) {
        w.key("host"); w.beginObject()
        w.field("hostname", h.hostname)
        w.field("kernel", h.kernel)
        w.field("cpu_model", h.cpuModel)
        w.field("cpu_count", h.cpuCount)
        w.field("cpu_online", r.onlineCPUs)
        w.field("boot_time", h.bootTime)
        w.field("uptime_s", r.uptimeSeconds, decimals: 0)
        w.endObject()
    }

    private static func writeUsage(_ w: inout JSONWriter, _ u: CPUUsage?) {
        w.field("percent", u?.percent, decimals: 2)
        w.field("user", u?.user, decimals: 2)
        w.field("system", u?.system, decimals: 2)
        w.field("iowait", u?.iowait, decimals: 2)
        w.field("steal", u?.steal, decimals: 2)
        w.field("guest", u?.guest, decimals: 2)
        w.field("idle", u?.idle, decimals: 2)
    }

    private static func writeCPU(_ w: inout JSONWriter, _ r: HostReading) {
        w.key("cpu"); w.beginObject()
        writeUsage(&w, r.cpu)
        w.key("per_core"); w.beginArray()
        for c in r.cores {
            w.beginObject()
            w.field("cpu", c.index)
            w.field("percent", c.usage.percent, decimals: 2)
            w.field("user", c.usage.user, decimals: 2)
            w.field("system", c.usage.system, decimals: 2)
            w.field("iowait", c.usage.iowait, decimals: 2)
            w.endObject()
        }
        w.endArray()
        w.key("load"); w.beginObject()
        w.field("1m", r.load?.one, decimals: 2)
        w.field("5m", r.load?.five, decimals: 2)
        w.field("15m", r.load?.fifteen, decimals: 2)
        w.field("running", r.procsRunning ?? r.load?.running)
        w.field("blocked", r.procsBlocked)
        w.field("tasks", r.load?.total)
        w.endObject()
        w.endObject()
    }

    private static func writeMemory(_ w: inout JSONWriter, _ m: MemoryInfo?) {
        w.key("memory"); w.beginObject()
        w.field("total", m?.total)
        w.field("available", m?.available)
        w.field("used", m?.used)
        w.field("free", m?.free)
        w.field("cached", m?.cached)
        w.field("buffers", m?.buffers)
        w.field("percent", m?.percent, decimals: 2)
        w.endObject()
        w.key("swap"); w.beginObject()
        w.field("total", m?.swapTotal)
        w.field("used", m?.swapUsed)
        w.field("free", m?.swapFree)
        w.field("percent", m?.swapPercent, decimals: 2)
        w.endObject()
    }

    private static func writeFilesystems(_ w: inout JSONWriter, _ list: [FilesystemUsage]) {
        w.key("filesystems"); w.beginArray()
        for f in list {
            w.beginObject()
            w.field("mount", f.mountPoint)
            w.field("device", f.device)
            w.field("fstype", f.fsType)
            w.field("total", f.total)
            w.field("used", f.used)
            w.field("free", f.free)
            w.field("percent", f.percent, decimals: 2)
            w.endObject()
        }
        w.endArray()
    }

    private static func writeDiskRate(_ w: inout JSONWriter, _ d: DiskRate?) {
        w.field("read_bytes_per_s", d?.readBytesPerSec, decimals: 1)
        w.field("write_bytes_per_s", d?.writeBytesPerSec, decimals: 1)
        w.field("reads_per_s", d?.readsPerSec, decimals: 2)
        w.field("writes_per_s", d?.writesPerSec, decimals: 2)
        w.field("busy_percent", d?.busyPercent, decimals: 2)
    }

    private static func writeDiskIO(_ w: inout JSONWriter, _ r: HostReading) {
        w.key("disk_io"); w.beginObject()
        writeDiskRate(&w, r.diskTotal)
        w.key("devices"); w.beginArray()
        for d in r.disks ?? [] {
            w.beginObject()
            w.field("name", d.name)
            writeDiskRate(&w, d)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    private static func writeNetRate(_ w: inout JSONWriter, _ n: NetRate?) {
        w.field("rx_bytes_per_s", n?.rxBytesPerSec, decimals: 1)
        w.field("tx_bytes_per_s", n?.txBytesPerSec, decimals: 1)
        w.field("rx_packets_per_s", n?.rxPacketsPerSec, decimals: 2)
        w.field("tx_packets_per_s", n?.txPacketsPerSec, decimals: 2)
    }

    private static func writeNetwork(_ w: inout JSONWriter, _ r: HostReading) {
        w.key("network"); w.beginObject()
        writeNetRate(&w, r.networkTotal)
        w.key("interfaces"); w.beginArray()
        for n in r.network ?? [] {
            w.beginObject()
            w.field("name", n.name)
            w.field("virtual", n.isVirtual)
            writeNetRate(&w, n)
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}

/// The `gpu` object: `{"available": false, "reason": ...}` or the devices.
public enum GPUJSON {
    public static func write(_ w: inout JSONWriter, _ status: GPUStatus) {
        w.beginObject()
        switch status {
        case .unavailable(let reason):
            w.field("available", false)
            w.field("reason", reason)
        case .available(let driver, let cuda, let nvml, let devices):
            w.field("available", true)
            w.field("driver_version", driver)
            w.field("cuda_driver_version", cuda)
            w.field("nvml_version", nvml)
            w.field("count", devices.count)
            w.key("devices"); w.beginArray()
            for d in devices { writeDevice(&w, d) }
            w.endArray()
        }
        w.endObject()
    }

    static func writeDevice(_ w: inout JSONWriter, _ d: GPUDevice) {
        w.beginObject()
        w.field("index", d.index)
        w.field("name", d.name)
        w.field("uuid", d.uuid)
        w.field("pci_bus_id", d.pciBusId)
        w.field("state", d.asleep ? "asleep" : "active")
        w.key("utilization"); w.beginObject()
        w.field("gpu", d.utilizationGPU, decimals: 1)
        w.field("memory", d.utilizationMemory, decimals: 1)
        w.endObject()
        w.key("memory"); w.beginObject()
        w.field("total", d.memoryTotal)
        w.field("used", d.memoryUsed)
        w.field("free", d.memoryFree)
        w.field("reserved", d.memoryReserved)
        w.field("percent", d.memoryPercent, decimals: 2)
        w.endObject()
        w.field("temperature_c", d.temperatureC, decimals: 1)
        w.field("fan_percent", d.fanPercent, decimals: 1)
        w.key("power"); w.beginObject()
        w.field("draw_w", d.powerWatts, decimals: 2)
        w.field("limit_w", d.powerLimitWatts, decimals: 2)
        w.endObject()
        w.key("clocks"); w.beginObject()
        w.field("sm_mhz", d.smClockMHz)
        w.field("sm_max_mhz", d.smClockMaxMHz)
        w.field("mem_mhz", d.memClockMHz)
        w.field("mem_max_mhz", d.memClockMaxMHz)
        w.endObject()
        w.field("performance_state", d.performanceState.map { "P\($0)" })
        w.key("processes")
        if let procs = d.processes {
            w.beginArray()
            for p in procs {
                w.beginObject()
                w.field("pid", p.pid)
                w.field("name", p.name)
                w.field("used_memory", p.usedMemoryBytes)
                w.field("type", p.kind)
                w.endObject()
            }
            w.endArray()
        } else {
            w.null()
        }
        w.endObject()
    }
}
