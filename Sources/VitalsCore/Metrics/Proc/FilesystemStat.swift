import VitalsSupport
import Glibc

/// Sizes of one mounted filesystem as statvfs reports them, in bytes.
public struct FilesystemStat: Sendable, Equatable {
    public var totalBytes: UInt64
    public var freeBytes: UInt64        // free blocks, including those reserved for root
    public var availableBytes: UInt64   // what an unprivileged user may still write
    public init(totalBytes: UInt64, freeBytes: UInt64, availableBytes: UInt64) {
        self.totalBytes = totalBytes; self.freeBytes = freeBytes; self.availableBytes = availableBytes
    }
}

extension HostSampler {
    /// statvfs(3) on `path`; nil when it fails (unmounted meanwhile, no permission).
    public static func systemStatfs(_ path: String) -> FilesystemStat? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let unit = UInt64(info.f_frsize != 0 ? info.f_frsize : info.f_bsize)
        let (total, o1) = UInt64(info.f_blocks).multipliedReportingOverflow(by: unit)
        let (free, o2) = UInt64(info.f_bfree).multipliedReportingOverflow(by: unit)
        let (avail, o3) = UInt64(info.f_bavail).multipliedReportingOverflow(by: unit)
        guard !o1, !o2, !o3 else { return nil }
        return FilesystemStat(totalBytes: total, freeBytes: free, availableBytes: avail)
    }
}

extension FilesystemUsage {
    /// Figures as df shows them: used = total - free; percent = used / (used + avail), so
    /// blocks reserved for root count neither as used nor as available.
    public init(mount: MountEntry, stat: FilesystemStat) {
        let free = min(stat.freeBytes, stat.totalBytes)
        let used = stat.totalBytes - free
        let avail = stat.availableBytes
        let denominator = Double(used) + Double(avail)
        self.init(mountPoint: mount.mountPoint, device: mount.device, fsType: mount.fsType,
                  total: stat.totalBytes, used: used, free: avail,
                  percent: denominator > 0 ? Double(used) / denominator * 100 : 0)
    }
}
