import VitalsSupport
/// /proc/uptime: seconds since boot.
final class UptimeCollector: HostCollector {
    let name = "uptime"
    private let path: String
    init(procRoot: String) { path = procRoot + "/uptime" }

    func collect(into out: inout HostReading, context: CollectorContext) throws(CollectorError) {
        out.uptimeSeconds = try context.files.read(path, UptimeParser.parse).value("uptime")
    }
}
