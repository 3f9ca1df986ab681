import VitalsSupport
/// Parses /proc/stat: the aggregate `cpu` line, one `cpuN` line per online CPU, and the
/// few scalar lines the sampler shows. The long `intr`/`softirq` lines are skipped unread.
public enum ProcStatParser {
    public static func parse(_ text: String) -> ProcStat? {
        text.withUTF8Buffer { parse($0) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ProcStat? {
        var cursor = ByteCursor(bytes)
        var total: CPUTimes?
        var cores: [CoreTimes] = []
        var bootTime: Int64?, contextSwitches: UInt64?, running: Int?, blocked: Int?
        while var line = cursor.nextLine() {
            guard let key = line.token() else { continue }
            if line.hasPrefix(key, "cpu") {
                guard let times = cpuTimes(&line) else { continue }
                if key.count == 3 {
                    total = times
                } else if let index = line.number(in: key.lowerBound + 3..<key.upperBound) {
                    cores.append(CoreTimes(index: index, times: times))
                }
            } else if line.equals(key, "btime") {
                if let v = line.uint64(), v <= UInt64(Int64.max) { bootTime = Int64(v) }
            } else if line.equals(key, "ctxt") {
                contextSwitches = line.uint64()
            } else if line.equals(key, "procs_running") {
                running = line.int()
            } else if line.equals(key, "procs_blocked") {
                blocked = line.int()
            }
        }
        guard let total else { return nil }
        return ProcStat(total: total, cores: cores, bootTime: bootTime, contextSwitches: contextSwitches,
                        procsRunning: running, procsBlocked: blocked)
    }

    /// user nice system idle are required; kernels before 2.6.x lack the later columns (zero).
    private static func cpuTimes(_ line: inout ByteCursor) -> CPUTimes? {
        var t = CPUTimes()
        guard let user = line.uint64(), let nice = line.uint64(), let system = line.uint64(),
              let idle = line.uint64() else { return nil }
        t.user = user; t.nice = nice; t.system = system; t.idle = idle
        t.iowait = line.uint64() ?? 0
        t.irq = line.uint64() ?? 0
        t.softirq = line.uint64() ?? 0
        t.steal = line.uint64() ?? 0
        t.guest = line.uint64() ?? 0
        t.guestNice = line.uint64() ?? 0
        return t
    }
}
