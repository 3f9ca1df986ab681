import VitalsSupport
/// Mounted real filesystems and their sizes (mounts + statvfs), refreshed every few seconds
/// by `FilesystemReader`. A mount whose statvfs fails is left out with an error line; only
/// an unreadable mount table fails the collector.
final class FilesystemCollector: HostCollector {
    let name = "filesystem"
    private let reader: FilesystemReader

    init(procRoot: String, statfs: @escaping (String) -> FilesystemStat?) {
        reader = FilesystemReader(procRoot: procRoot, statfs: statfs)
    }

    func collect(into out: inout HostReading, context: CollectorContext) throws(CollectorError) {
        out.filesystems = try reader.read(reader: context.files, monotonicNanos: context.monotonicNanos, errors: &out.errors)
    }
}
