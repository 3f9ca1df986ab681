import VitalsSupport
/// /proc/net/dev: the raw counters of every interface (exported as counters) and their
/// rates since the previous reading (nil on the first).
final class NetDevCollector: HostCollector {
    let name = "netdev"
    private let path: String
    private let tracker: NetRateTracker

    init(procRoot: String, sysRoot: String) {
        path = procRoot + "/net/dev"
        tracker = NetRateTracker(sysRoot: sysRoot)
    }

    func collect(into out: inout HostReading, context: CollectorContext) throws(CollectorError) {
        let counters = try context.files.read(path, NetDevParser.parse).value("net/dev")
        out.netCounters = counters
        if let rates = tracker.update(counters, monotonicNanos: context.monotonicNanos) {
            out.network = rates.interfaces
            out.networkTotal = rates.total
        }
    }
}
