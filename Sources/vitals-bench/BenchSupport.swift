import Glibc

struct BenchError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// `--key value` options, plus everything after `--` kept verbatim as a command line.
struct CommandOptions {
    private var values: [String: String] = [:]
    private(set) var rest: [String] = []

    init(_ args: [String]) throws(BenchError) {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--" { rest = Array(args[(i + 1)...]); break }
            guard a.hasPrefix("-"), i + 1 < args.count else { throw BenchError("unexpected argument \(a)") }
            values[a] = args[i + 1]
            i += 2
        }
    }

    mutating func string(_ key: String, default def: String? = nil) throws(BenchError) -> String {
        if let v = values.removeValue(forKey: key) { return v }
        if let def { return def }
        throw BenchError("missing \(key)")
    }

    mutating func int(_ key: String, default def: Int) throws(BenchError) -> Int {
        guard let raw = values.removeValue(forKey: key) else { return def }
        guard let v = Int(raw), v > 0 else { throw BenchError("\(key) must be a positive integer, got \(raw)") }
        return v
    }

    mutating func port() throws(BenchError) -> UInt16 {
        let raw = try string("--port")
        guard let p = UInt16(raw), p > 0 else { throw BenchError("--port must be 1-65535, got \(raw)") }
        return p
    }

    func finish() throws(BenchError) {
        if let extra = values.keys.sorted().first { throw BenchError("unknown option \(extra)") }
    }
}

enum Clock {
    static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func wallMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// `String(format:)` needs full Foundation; the bench only needs fixed decimals.
enum Fixed {
    static func format(_ x: Double, _ decimals: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((abs(x) * scale).rounded())
        let p = Int64(scale)
        let whole = scaled / p
        var frac = String(scaled % p)
        while frac.count < decimals { frac = "0" + frac }
        let sign = x < 0 && scaled != 0 ? "-" : ""
        return decimals == 0 ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
    }
}

/// Nearest-rank percentile of already sorted values.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank - 1, 0), sorted.count - 1)]
}
