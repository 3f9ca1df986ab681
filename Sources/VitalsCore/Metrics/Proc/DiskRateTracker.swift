import VitalsSupport
/// Keeps the previous /proc/diskstats reading of physical whole disks and turns the next
/// one into rates.
final class DiskRateTracker {
    private let sysRoot: String
    private let recheckNanos: UInt64
    private var physical: [String: Bool] = [:]
    private var physicalCheckedAt: UInt64?
    private var previous: [DiskCounters] = []
    private var previousNanos: UInt64?

    init(sysRoot: String, recheckNanos: UInt64 = 10_000_000_000) {
        self.sysRoot = sysRoot
        self.recheckNanos = recheckNanos
    }

    /// A whole disk backed by hardware has `/sys/block/NAME/device`; loop, ram, zram, dm-*
    /// and md have none, and partitions are not under /sys/block at all.
    static func isPhysicalDisk(_ name: String, sysRoot: String) -> Bool {
        // cciss/c0d0 in diskstats is cciss!c0d0 in sysfs.
        let sysName = String(name.map { $0 == "/" ? "!" : $0 })
        return pathExists(sysRoot + "/block/" + sysName + "/device")
    }

    /// Answers from a cache that is dropped every `recheckNanos`: disks come and go rarely.
    func isPhysical(_ name: String, now: UInt64) -> Bool {
        if let at = physicalCheckedAt, now >= at, now - at < recheckNanos {
            if let known = physical[name] { return known }
        } else {
            physical.removeAll(keepingCapacity: true)
            physicalCheckedAt = now
        }
        let answer = Self.isPhysicalDisk(name, sysRoot: sysRoot)
        physical[name] = answer
        return answer
    }

    /// The physical whole disks of one /proc/diskstats reading: what rates and counters cover.
    func physicalDisks(_ all: [DiskCounters], monotonicNanos now: UInt64) -> [DiskCounters] {
        all.filter { isPhysical($0.name, now: now) }
    }

    /// Rates of the disks seen in both readings; nil on the first call or when no time passed.
    func update(physical current: [DiskCounters], monotonicNanos now: UInt64) -> (disks: [DiskRate], total: DiskRate)? {
        defer { previous = current; previousNanos = now }
        guard let before = previousNanos, now > before else { return nil }
        let seconds = Double(now - before) / 1e9
        var rates: [DiskRate] = []
        rates.reserveCapacity(current.count)
        var total = DiskRate(name: "total", readBytesPerSec: 0, writeBytesPerSec: 0, readsPerSec: 0, writesPerSec: 0, busyPercent: 0)
        for (position, disk) in current.enumerated() {
            let old: DiskCounters?
            if position < previous.count, previous[position].name == disk.name { old = previous[position] }
            else { old = previous.first { $0.name == disk.name } }
            guard let old, let rate = Self.rate(from: old, to: disk, seconds: seconds) else { continue }
            rates.append(rate)
            total.readBytesPerSec += rate.readBytesPerSec
            total.writeBytesPerSec += rate.writeBytesPerSec
            total.readsPerSec += rate.readsPerSec
            total.writesPerSec += rate.writesPerSec
            // Busy time does not add up across disks: the total shows the busiest one.
            total.busyPercent = max(total.busyPercent, rate.busyPercent)
        }
        return (rates, total)
    }

    static func rate(from old: DiskCounters, to new: DiskCounters, seconds: Double) -> DiskRate? {
        guard seconds > 0,
              let reads = CounterDelta.delta(old: old.reads, new: new.reads),
              let writes = CounterDelta.delta(old: old.writes, new: new.writes),
              let sectorsRead = CounterDelta.delta(old: old.sectorsRead, new: new.sectorsRead),
              let sectorsWritten = CounterDelta.delta(old: old.sectorsWritten, new: new.sectorsWritten),
              let ioMs = CounterDelta.delta(old: old.ioTimeMs, new: new.ioTimeMs)
        else { return nil }
        return DiskRate(name: new.name,
                        readBytesPerSec: Double(sectorsRead) * 512 / seconds,
                        writeBytesPerSec: Double(sectorsWritten) * 512 / seconds,
                        readsPerSec: Double(reads) / seconds,
                        writesPerSec: Double(writes) / seconds,
                        busyPercent: min(100, Double(ioMs) / (seconds * 1000) * 100))
    }
}
