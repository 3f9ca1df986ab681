import VitalsSupport
/// The fields of /proc/PID/stat the process table needs (not `ProcStat`: that is /proc/stat).
struct PidStat: Equatable {
    var comm: String
    var cpuTicks: UInt64      // utime + stime, in clock ticks
    var startTime: UInt64     // clock ticks after boot: tells a reused pid from the old one
    var rssPages: UInt64

    /// nil for anything that is not a well-formed stat line. The name sits in parentheses
    /// and may itself hold spaces and ')', so fields are counted from the last ')'.
    init?(_ bytes: [UInt8]) {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), open < close else { return nil }
        comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)
        // rest[0] is field 3 (state); stat(5) numbers fields from 1.
        let rest = bytes[(close + 1)...].split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
        func field(_ n: Int) -> UInt64? {
            let i = n - 3
            guard i < rest.count else { return nil }
            return UInt64(String(decoding: rest[i], as: UTF8.self))
        }
        guard let utime = field(14), let stime = field(15), let start = field(22), let rss = field(24) else {
            return nil
        }
        cpuTicks = utime &+ stime
        startTime = start
        rssPages = rss
    }
}
