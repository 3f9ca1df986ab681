import VitalsSupport
/// /proc/diskstats: the raw counters of physical whole disks (exported as counters) and
/// their rates since the previous reading (nil on the first).
final class DiskStatsCollector: HostCollector {
    let name = "diskstats"
    private let path: String
    private let tracker: DiskRateTracker

    init(procRoot: String, sysRoot: String) {
        path = procRoot + "/diskstats"
        tracker = DiskRateTracker(sysRoot: sysRoot)
    }

    func collect(into out: inout HostReading, context: CollectorContext) throws(CollectorError) {
        let all = try context.files.read(path, DiskStatsParser.parse).value("diskstats")
        let physical = tracker.physicalDisks(all, monotonicNanos: context.monotonicNanos)
        out.diskCounters = physical
        if let rates = tracker.update(physical: physical, monotonicNanos: context.monotonicNanos) {
            out.disks = rates.disks
            out.diskTotal = rates.total
        }
    }
}
