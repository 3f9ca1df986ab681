import VitalsSupport
import Glibc
import Synchronization

/// Top processes by CPU, memory or GPU memory, for `GET /api/v1/system/processes`.
///
/// Reading every /proc/PID costs milliseconds, so this never runs on the sampler's tick:
/// only when asked (from an HTTP worker). CPU % needs two readings; the previous one is
/// kept, and when it is missing or older than `maxPreviousAge` the table reads, waits
/// `settle` and reads again. Concurrent callers are served one after the other.
public final class ProcessTable: Sendable {
    static let maxPreviousAgeNs: UInt64 = 10_000_000_000
    static let commandLimit = 256

    private let procRoot: String
    private let passwdPath: String
    private let time: any TimeSource
    private let settleNs: UInt64
    private let ticksPerSecond: Double
    private let pageSize: UInt64
    private let state = Mutex(State())

    private struct State {
        var previous: [Int32: PidStat] = [:]
        var previousAt: UInt64?
        var users: UserNames?
    }

    /// - Parameters:
    ///   - time: its monotonic clock dates the readings that CPU % is computed between.
    ///   - settle: wait between the two readings of a cold start.
    public init(procRoot: String = "/proc", passwdPath: String = "/etc/passwd",
                settle: UInt64 = 250_000_000, time: any TimeSource) {
        self.procRoot = procRoot
        self.passwdPath = passwdPath
        self.time = time
        self.settleNs = settle
        let tck = sysconf(Int32(_SC_CLK_TCK))
        ticksPerSecond = tck > 0 ? Double(tck) : 100
        let page = sysconf(Int32(_SC_PAGESIZE))
        pageSize = page > 0 ? UInt64(page) : 4096
    }

    /// The `limit` first processes in `sort` order; `gpuProcesses` (from the last NVML
    /// sample) supplies GPU memory by pid.
    public func top(sort: ProcessSort, limit: Int, gpuProcesses: [GPUProcess]) -> [ProcessEntry] {
        guard limit > 0 else { return [] }
        var gpuMemory: [Int32: UInt64] = [:]
        for p in gpuProcesses {
            // A process on several GPUs uses the sum of them.
            if let used = p.usedMemoryBytes { gpuMemory[p.pid, default: 0] &+= used }
        }
        return state.withLock { state in
            let recent = state.previousAt.map { time.monotonicNs() &- $0 <= Self.maxPreviousAgeNs } ?? false
            if !recent {
                state.previous = scan()
                state.previousAt = time.monotonicNs()
                if settleNs > 0 { sleep(nanoseconds: settleNs) }
            }
            let readAt = time.monotonicNs()
            let current = scan()
            let elapsed = Double(readAt &- (state.previousAt ?? readAt)) / 1e9
            var rows: [Row] = []
            rows.reserveCapacity(current.count)
            for (pid, stat) in current {
                var ticks = stat.cpuTicks
                // The same pid with another start time is a new process: all its time is new.
                if let old = state.previous[pid], old.startTime == stat.startTime {
                    ticks = stat.cpuTicks >= old.cpuTicks ? stat.cpuTicks - old.cpuTicks : 0
                }
                let cpu = elapsed > 0 ? Double(ticks) / ticksPerSecond / elapsed * 100 : 0
                rows.append(Row(pid: pid, stat: stat, cpu: cpu, gpu: gpuMemory[pid]))
            }
            state.previous = current
            state.previousAt = readAt

            rows.sort(by: Self.order(sort))
            let users = state.users ?? UserNames(passwdPath: passwdPath)
            state.users = users
            return rows.prefix(limit).map { detail($0, users: users) }
        }
    }

    private struct Row {
        var pid: Int32
        var stat: PidStat
        var cpu: Double
        var gpu: UInt64?
    }

    /// Descending by the chosen figure, then by RSS, then by pid for a stable answer.
    private static func order(_ sort: ProcessSort) -> (Row, Row) -> Bool {
        { a, b in
            switch sort {
            case .cpu: if a.cpu != b.cpu { return a.cpu > b.cpu }
            case .gpuMemory: if (a.gpu ?? 0) != (b.gpu ?? 0) { return (a.gpu ?? 0) > (b.gpu ?? 0) }
            case .memory: break
            }
            if a.stat.rssPages != b.stat.rssPages { return a.stat.rssPages > b.stat.rssPages }
            return a.pid < b.pid
        }
    }

    /// The costlier per-process files, read only for the rows that are shown.
    private func detail(_ row: Row, users: UserNames) -> ProcessEntry {
        let dir = "\(procRoot)/\(row.pid)"
        let user = SmallFile.read("\(dir)/status", maxBytes: 16 * 1024)
            .flatMap(Self.effectiveUID).map(users.name(of:)) ?? "?"
        let cgroup = SmallFile.read("\(dir)/cgroup").map { String(decoding: $0, as: UTF8.self) }
        let container = cgroup.flatMap { ContainerID.parse(cgroup: $0) }
        let command = SmallFile.read("\(dir)/cmdline", maxBytes: Self.commandLimit * 4).flatMap(Self.commandLine)
        var e = ProcessEntry(pid: row.pid, name: row.stat.comm, user: user, cpuPercent: row.cpu,
                             rssBytes: row.stat.rssPages &* pageSize, gpuMemoryBytes: row.gpu,
                             containerId: container, command: command)
        e.unit = cgroup.flatMap { SystemdUnit.parse(cgroup: $0) }
        return e
    }

    /// Every numeric entry of procRoot; a process gone mid-scan is simply not there.
    private func scan() -> [Int32: PidStat] {
        var out: [Int32: PidStat] = [:]
        guard let dir = opendir(procRoot) else { return out }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let pid: Int32? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                var v: Int32 = 0
                var n = 0
                for b in raw {
                    if b == 0 { break }
                    guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9"), n < 9 else { return nil }
                    v = v * 10 + Int32(b - UInt8(ascii: "0"))
                    n += 1
                }
                return n > 0 ? v : nil
            }
            guard let pid,
                  let bytes = SmallFile.read("\(procRoot)/\(pid)/stat", maxBytes: 4096),
                  let stat = PidStat(bytes) else { continue }
            out[pid] = stat
        }
        return out
    }

    /// The effective uid from status's "Uid:\treal\teffective\tsaved\tfs" line, as ps shows it.
    static func effectiveUID(_ status: [UInt8]) -> UInt32? {
        for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: "Uid:".utf8) {
            let f = line.dropFirst(4).split(whereSeparator: { $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: " ") })
            guard f.count >= 2 else { return nil }
            return UInt32(String(decoding: f[1], as: UTF8.self))
        }
        return nil
    }

    /// NUL-separated argv as one line, cut at `commandLimit` characters; nil when empty
    /// (kernel threads and zombies have no command line).
    static func commandLine(_ bytes: [UInt8]) -> String? {
        var b = bytes.map { $0 == 0 ? UInt8(ascii: " ") : $0 }
        while b.last == UInt8(ascii: " ") { b.removeLast() }
        guard !b.isEmpty else { return nil }
        let s = String(decoding: b, as: UTF8.self)
        guard s.count > commandLimit else { return s }
        return String(s.prefix(commandLimit - 1)) + "…"
    }

    private func sleep(nanoseconds ns: UInt64) {
        var left = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        var rest = timespec()
        // An interrupted sleep resumes with what was left of it.
        while nanosleep(&left, &rest) != 0 && errno == EINTR { left = rest }
    }
}
