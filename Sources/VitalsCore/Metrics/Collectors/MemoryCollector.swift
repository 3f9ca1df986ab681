import VitalsSupport
/// /proc/meminfo: RAM and swap in bytes.
final class MemoryCollector: HostCollector {
    let name = "meminfo"
    private let path: String
    init(procRoot: String) { path = procRoot + "/meminfo" }

    func collect(into out: inout HostReading, context: CollectorContext) throws(CollectorError) {
        out.memory = try context.files.read(path, MemInfoParser.parse).value("meminfo")
    }
}
