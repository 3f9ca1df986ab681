import VitalsSupport
/// The one list of host collectors, built from the roots every reader takes. Order is the
/// order they run in and the order their statuses are reported in.
enum HostCollectors {
    static func standard(procRoot: String, sysRoot: String,
                         statfs: @escaping (String) -> FilesystemStat?) -> [any HostCollector] {
        [
            CPUCollector(procRoot: procRoot),
            LoadAverageCollector(procRoot: procRoot),
            MemoryCollector(procRoot: procRoot),
            UptimeCollector(procRoot: procRoot),
            FilesystemCollector(procRoot: procRoot, statfs: statfs),
            DiskStatsCollector(procRoot: procRoot, sysRoot: sysRoot),
            NetDevCollector(procRoot: procRoot, sysRoot: sysRoot),
        ]
    }
}
