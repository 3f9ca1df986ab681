import VitalsSupport
/// /proc/loadavg: the 1, 5 and 15 minute load averages and the task count.
final class LoadAverageCollector: HostCollector {
    let name = "loadavg"
    private let path: String
    init(procRoot: String) { path = procRoot + "/loadavg" }

    func collect(into out: inout HostReading, context: CollectorContext) throws(CollectorError) {
        out.load = try context.files.read(path, LoadAverageParser.parse).value("loadavg")
    }
}
