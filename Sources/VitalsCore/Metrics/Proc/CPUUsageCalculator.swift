import VitalsSupport
/// Turns two /proc/stat readings into percentages of the interval between them.
public enum CPUUsageCalculator {
    /// nil when no tick elapsed (two reads inside one jiffy) rather than 0/0.
    public static func usage(from old: CPUTimes, to new: CPUTimes) -> CPUUsage? {
        // A counter that went backwards (CPU hot-plug, a buggy hypervisor) counts as no time.
        func d(_ a: UInt64, _ b: UInt64) -> UInt64 { b >= a ? b - a : 0 }
        let user = d(old.user, new.user), nice = d(old.nice, new.nice)
        let system = d(old.system, new.system), idle = d(old.idle, new.idle)
        let iowait = d(old.iowait, new.iowait), irq = d(old.irq, new.irq)
        let softirq = d(old.softirq, new.softirq), steal = d(old.steal, new.steal)
        let guest = d(old.guest, new.guest), guestNice = d(old.guestNice, new.guestNice)

        // guest and guest_nice are already inside user and nice: not part of the total.
        var total: UInt64 = 0, overflow = false
        for part in [user, nice, system, idle, iowait, irq, softirq, steal] {
            let (sum, o) = total.addingReportingOverflow(part)
            total = sum
            overflow = overflow || o
        }
        guard total > 0, !overflow else { return nil }
        let scale = 100.0 / Double(total)
        let pureUser = (user >= guest ? user - guest : 0) + (nice >= guestNice ? nice - guestNice : 0)
        let guestTicks = min(guest, user) + min(guestNice, nice)
        let idlePct = Double(idle) * scale
        let iowaitPct = Double(iowait) * scale
        return CPUUsage(percent: min(100, max(0, 100 - idlePct - iowaitPct)),
                        user: Double(pureUser) * scale,
                        system: Double(system + irq + softirq) * scale,
                        iowait: iowaitPct,
                        steal: Double(steal) * scale,
                        guest: Double(guestTicks) * scale,
                        idle: idlePct)
    }

    /// Cores are matched by index, so a CPU that went offline simply drops out and one
    /// that came back (no reading last tick) gets no figure until the next tick.
    public static func coreUsages(from old: [CoreTimes], to new: [CoreTimes]) -> [CoreUsage] {
        var result: [CoreUsage] = []
        result.reserveCapacity(new.count)
        for (position, core) in new.enumerated() {
            let previous: CoreTimes?
            if position < old.count, old[position].index == core.index {
                previous = old[position]   // the usual case: same CPUs in the same order
            } else {
                previous = old.first { $0.index == core.index }
            }
            guard let previous, let usage = usage(from: previous.times, to: core.times) else { continue }
            result.append(CoreUsage(index: core.index, usage: usage))
        }
        return result
    }
}
