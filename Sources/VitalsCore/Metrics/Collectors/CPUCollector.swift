import VitalsSupport
/// /proc/stat: CPU usage (total and per core) from the difference to the previous reading,
/// online CPUs, running and blocked tasks.
final class CPUCollector: HostCollector {
    let name = "cpu"
    private let path: String
    private var previous: ProcStat?

    init(procRoot: String) { path = procRoot + "/stat" }

    func collect(into out: inout HostReading, context: CollectorContext) throws(CollectorError) {
        // On failure the old reading is kept: the next good one still yields a (longer-interval) rate.
        let stat = try context.files.read(path, ProcStatParser.parse).value("stat")
        if let old = previous {
            out.cpu = CPUUsageCalculator.usage(from: old.total, to: stat.total)
            out.cores = CPUUsageCalculator.coreUsages(from: old.cores, to: stat.cores)
        }
        out.onlineCPUs = stat.cores.count
        out.coreTimes = stat.cores
        out.procsRunning = stat.procsRunning
        out.procsBlocked = stat.procsBlocked
        previous = stat
    }
}
