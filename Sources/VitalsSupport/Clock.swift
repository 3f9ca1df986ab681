import Glibc

/// Time sources. Wall time stamps samples; monotonic time measures intervals (rates,
/// timeouts) so a clock step (NTP, suspend) never produces a negative or huge rate.
public enum Clock {
    public static func wallMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public static func monotonicMs() -> Int64 { Int64(monotonicNs() / 1_000_000) }
}

/// Calendar formatting without full Foundation (its formatters pull in ICU).
public enum TimeFormat {
    private static func utc(_ seconds: Int64) -> tm {
        var t = time_t(seconds)
        var out = tm()
        gmtime_r(&t, &out)
        return out
    }

    private static func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// 2026-11-22T10:00:00.500Z
    public static func iso8601(ms: Int64) -> String {
        let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let t = utc(secs)
        let frac = Int32(ms - secs * 1000)
        return "\(t.tm_year + 1900)-\(pad(t.tm_mon + 1, 2))-\(pad(t.tm_mday, 2))T"
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)).\(pad(frac, 3))Z"
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 9110 IMF-fixdate for the Date header: Sun, 22 Nov 2026 10:00:00 GMT
    public static func httpDate(seconds: Int64) -> String {
        let t = utc(seconds)
        return "\(days[Int(t.tm_wday)]), \(pad(t.tm_mday, 2)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) "
            + "\(pad(t.tm_hour, 2)):\(pad(t.tm_min, 2)):\(pad(t.tm_sec, 2)) GMT"
    }

    /// Parses `2026-11-22T10:00:00Z`, with optional fraction and `+hh:mm` offset, to ms.
    public static func parseISO8601(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                guard b[i] >= 48 && b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard b.count >= 19, b[4] == 45, b[7] == 45, b[10] == 84 || b[10] == 32, b[13] == 58, b[16] == 58,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
        var i = 19
        var fracMs = 0
        if i < b.count && b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 48 && b[i] <= 57 {
                if digits < 3 { fracMs = fracMs * 10 + Int(b[i] - 48) }
                digits += 1; i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { fracMs *= 10 }
        }
        var offsetMin = 0
        if i < b.count {
            if b[i] == 90 && i + 1 == b.count { i += 1 }
            else if (b[i] == 43 || b[i] == 45), let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58,
                    let om = num(i + 4, 2), i + 6 == b.count {
                offsetMin = (oh * 60 + om) * (b[i] == 43 ? 1 : -1)
                i += 6
            } else { return nil }
        }
        guard i == b.count else { return nil }
        // Days from civil (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
        let yy = mo <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let daysSinceEpoch = era * 146_097 + doe - 719_468
        let seconds = Int64(daysSinceEpoch) * 86_400 + Int64(h * 3600 + mi * 60 + sec) - Int64(offsetMin * 60)
        return seconds * 1000 + Int64(fracMs)
    }
}
