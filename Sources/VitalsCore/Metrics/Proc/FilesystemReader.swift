import VitalsSupport
/// Mounted real filesystems and their sizes. statvfs can block (a dead network mount), so
/// the whole list is refreshed at most every `refreshNanos` and served from cache between.
final class FilesystemReader {
    private let mountsPaths: [String]
    private let filesystemsPath: String
    private let statfs: (String) -> FilesystemStat?
    private let refreshNanos: UInt64
    private var cached: [FilesystemUsage] = []
    private var lastRead: UInt64?

    init(procRoot: String, statfs: @escaping (String) -> FilesystemStat?, refreshNanos: UInt64 = 5_000_000_000) {
        mountsPaths = [procRoot + "/self/mounts", procRoot + "/mounts"]
        filesystemsPath = procRoot + "/filesystems"
        self.statfs = statfs
        self.refreshNanos = refreshNanos
    }

    /// Throws when the mount table cannot be read; a failed statvfs only adds an error line.
    /// A failure is cached like a success: a broken /proc is not re-read on every tick.
    func read(reader: ProcFileReader, monotonicNanos now: UInt64, errors: inout [String]) throws(CollectorError) -> [FilesystemUsage] {
        if let last = lastRead, now >= last, now - last < refreshNanos { return cached }
        lastRead = now
        cached = []
        cached = try readNow(reader: reader, errors: &errors)
        return cached
    }

    private func readNow(reader: ProcFileReader, errors: inout [String]) throws(CollectorError) -> [FilesystemUsage] {
        var mounts: [MountEntry]?
        var lastError = ""
        for path in mountsPaths {
            switch reader.read(path, MountsParser.parse) {
            case .success(let entries): mounts = entries
            case .failure(let e): lastError = e.message
            }
            if mounts != nil { break }
        }
        guard let mounts else { throw CollectorError("mounts: \(lastError)") }
        let types: Set<String>
        switch reader.read(filesystemsPath, MountsParser.blockBackedTypes) {
        case .success(let set): types = set
        case .failure(let e): throw CollectorError("filesystems: \(e.message)")
        }
        var result: [FilesystemUsage] = []
        for mount in MountsParser.realFilesystems(mounts, blockBackedTypes: types) {
            guard let stat = statfs(mount.mountPoint) else {
                errors.append("filesystems: statvfs failed for \(mount.mountPoint)")
                continue
            }
            // Zero-sized filesystems are pseudo ones df also hides.
            guard stat.totalBytes > 0 else { continue }
            result.append(FilesystemUsage(mount: mount, stat: stat))
        }
        return result
    }
}
