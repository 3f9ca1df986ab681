import VitalsSupport
/// Plain values read from /proc and /sys. Readers fill them; the Sampler turns
/// consecutive readings into rates; the snapshot encoder writes them out.

/// Cumulative CPU time in clock ticks, one line of /proc/stat.
/// Linux counts guest time inside user (and guest_nice inside nice) already.
public struct CPUTimes: Sendable, Equatable {
    public var user: UInt64 = 0, nice: UInt64 = 0, system: UInt64 = 0, idle: UInt64 = 0
    public var iowait: UInt64 = 0, irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0
    public var guest: UInt64 = 0, guestNice: UInt64 = 0
    public init() {}
}

public struct CoreTimes: Sendable, Equatable {
    public var index: Int
    public var times: CPUTimes
    public init(index: Int, times: CPUTimes) { self.index = index; self.times = times }
}

/// One reading of /proc/stat. `cores` holds only the CPUs that are online now.
public struct ProcStat: Sendable, Equatable {
    public var total: CPUTimes
    public var cores: [CoreTimes]
    public var bootTime: Int64?
    public var contextSwitches: UInt64?
    public var procsRunning: Int?
    public var procsBlocked: Int?
    public init(total: CPUTimes, cores: [CoreTimes], bootTime: Int64? = nil, contextSwitches: UInt64? = nil,
                procsRunning: Int? = nil, procsBlocked: Int? = nil) {
        self.total = total; self.cores = cores; self.bootTime = bootTime
        self.contextSwitches = contextSwitches; self.procsRunning = procsRunning; self.procsBlocked = procsBlocked
    }
}

/// CPU usage over one interval, each field a percentage of the interval (0-100).
public struct CPUUsage: Sendable, Equatable {
    public var percent: Double      // everything but idle and iowait
    public var user: Double         // user + nice, guest excluded (it is inside user already)
    public var system: Double       // system + irq + softirq
    public var iowait: Double
    public var steal: Double
    public var guest: Double
    public var idle: Double
    public init(percent: Double, user: Double, system: Double, iowait: Double, steal: Double, guest: Double, idle: Double) {
        self.percent = percent; self.user = user; self.system = system; self.iowait = iowait
        self.steal = steal; self.guest = guest; self.idle = idle
    }
}

public struct CoreUsage: Sendable, Equatable {
    public var index: Int
    public var usage: CPUUsage
    public init(index: Int, usage: CPUUsage) { self.index = index; self.usage = usage }
}

public struct LoadAverage: Sendable, Equatable {
    public var one: Double, five: Double, fifteen: Double
    public var running: Int, total: Int
    public init(one: Double, five: Double, fifteen: Double, running: Int, total: Int) {
        self.one = one; self.five = five; self.fifteen = fifteen; self.running = running; self.total = total
    }
}

/// /proc/meminfo in bytes. `used` = total - available, as free(1) and htop report it.
public struct MemoryInfo: Sendable, Equatable {
    public var total: UInt64, available: UInt64, used: UInt64, free: UInt64
    public var cached: UInt64, buffers: UInt64
    public var swapTotal: UInt64, swapFree: UInt64, swapUsed: UInt64
    public var percent: Double        // used / total * 100
    public var swapPercent: Double?   // nil when there is no swap
    public init(total: UInt64, available: UInt64, used: UInt64, free: UInt64, cached: UInt64, buffers: UInt64,
                swapTotal: UInt64, swapFree: UInt64, swapUsed: UInt64, percent: Double, swapPercent: Double?) {
        self.total = total; self.available = available; self.used = used; self.free = free
        self.cached = cached; self.buffers = buffers; self.swapTotal = swapTotal; self.swapFree = swapFree
        self.swapUsed = swapUsed; self.percent = percent; self.swapPercent = swapPercent
    }
}

/// One mounted real filesystem, from statvfs. `free` is what an unprivileged user may use.
public struct FilesystemUsage: Sendable, Equatable {
    public var mountPoint: String, device: String, fsType: String
    public var total: UInt64, used: UInt64, free: UInt64
    public var percent: Double
    public init(mountPoint: String, device: String, fsType: String, total: UInt64, used: UInt64, free: UInt64, percent: Double) {
        self.mountPoint = mountPoint; self.device = device; self.fsType = fsType
        self.total = total; self.used = used; self.free = free; self.percent = percent
    }
}

/// Cumulative counters of one block device from /proc/diskstats.
public struct DiskCounters: Sendable, Equatable {
    public var name: String
    public var reads: UInt64, sectorsRead: UInt64, writes: UInt64, sectorsWritten: UInt64
    public var ioTimeMs: UInt64
    public init(name: String, reads: UInt64, sectorsRead: UInt64, writes: UInt64, sectorsWritten: UInt64, ioTimeMs: UInt64) {
        self.name = name; self.reads = reads; self.sectorsRead = sectorsRead; self.writes = writes
        self.sectorsWritten = sectorsWritten; self.ioTimeMs = ioTimeMs
    }
}

public struct DiskRate: Sendable, Equatable {
    public var name: String
    public var readBytesPerSec: Double, writeBytesPerSec: Double
    public var readsPerSec: Double, writesPerSec: Double
    public var busyPercent: Double
    public init(name: String, readBytesPerSec: Double, writeBytesPerSec: Double, readsPerSec: Double, writesPerSec: Double, busyPercent: Double) {
        self.name = name; self.readBytesPerSec = readBytesPerSec; self.writeBytesPerSec = writeBytesPerSec
        self.readsPerSec = readsPerSec; self.writesPerSec = writesPerSec; self.busyPercent = busyPercent
    }
}

/// Cumulative counters of one interface from /proc/net/dev.
public struct NetCounters: Sendable, Equatable {
    public var name: String
    public var rxBytes: UInt64, rxPackets: UInt64, rxErrors: UInt64, rxDropped: UInt64
    public var txBytes: UInt64, txPackets: UInt64, txErrors: UInt64, txDropped: UInt64
    public init(name: String, rxBytes: UInt64, rxPackets: UInt64, rxErrors: UInt64, rxDropped: UInt64,
                txBytes: UInt64, txPackets: UInt64, txErrors: UInt64, txDropped: UInt64) {
        self.name = name; self.rxBytes = rxBytes; self.rxPackets = rxPackets; self.rxErrors = rxErrors
        self.rxDropped = rxDropped; self.txBytes = txBytes; self.txPackets = txPackets
        self.txErrors = txErrors; self.txDropped = txDropped
    }
}

public struct NetRate: Sendable, Equatable {
    public var name: String
    /// Loopback or listed under /sys/devices/virtual/net: shown, but left out of totals.
    public var isVirtual: Bool
    public var rxBytesPerSec: Double, txBytesPerSec: Double
    public var rxPacketsPerSec: Double, txPacketsPerSec: Double
    public init(name: String, isVirtual: Bool, rxBytesPerSec: Double, txBytesPerSec: Double, rxPacketsPerSec: Double, txPacketsPerSec: Double) {
        self.name = name; self.isVirtual = isVirtual; self.rxBytesPerSec = rxBytesPerSec
        self.txBytesPerSec = txBytesPerSec; self.rxPacketsPerSec = rxPacketsPerSec; self.txPacketsPerSec = txPacketsPerSec
    }
}

/// Facts that change rarely (read at start and then every minute or so).
public struct HostInfo: Sendable, Equatable {
    public var hostname: String
    public var kernel: String
    public var cpuModel: String
    public var cpuCount: Int          // logical CPUs present (online or not)
    public var bootTime: Int64?       // seconds since the epoch
    public init(hostname: String, kernel: String, cpuModel: String, cpuCount: Int, bootTime: Int64?) {
        self.hostname = hostname; self.kernel = kernel; self.cpuModel = cpuModel
        self.cpuCount = cpuCount; self.bootTime = bootTime
    }
}
