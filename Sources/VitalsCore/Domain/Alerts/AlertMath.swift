/// The mean of the values seen within the last `windowMs`, kept as a running sum over a
/// ring of samples: O(1) per tick however long the window (10 min at 500 ms is 1,200).
struct WindowAverage {
    let windowMs: Int64
    private var ts: [Int64] = []
    private var values: [Double] = []
    private var head = 0
    private var sum = 0.0

    init(windowMs: Int64) { self.windowMs = windowMs }

    mutating func add(_ v: Double, at now: Int64) -> Double {
        ts.append(now); values.append(v); sum += v
        while head < ts.count - 1, now - ts[head] >= windowMs { sum -= values[head]; head += 1 }
        if head > 256 && head * 2 > ts.count {
            ts.removeFirst(head); values.removeFirst(head); head = 0
            sum = values.reduce(0, +) // also sheds accumulated rounding
        }
        return sum / Double(ts.count - head)
    }
}

/// Ordinary least squares of value on time: the slope per millisecond and the value the
/// line gives at `t0`. Nil with fewer than two distinct times.
public struct LinearFit: Sendable, Equatable {
    public let slopePerMs: Double
    public let valueAtT0: Double
    public let t0: Int64
    public let points: Int

    public static func fit(_ points: [(t: Int64, v: Double)]) -> LinearFit? {
        guard points.count >= 2, let t0 = points.last?.t else { return nil }
        var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
        for p in points {
            let x = Double(p.t - t0)
            sx += x; sy += p.v; sxx += x * x; sxy += x * p.v
        }
        let n = Double(points.count)
        let d = n * sxx - sx * sx
        guard d > 0 else { return nil }
        let slope = (n * sxy - sx * sy) / d
        let intercept = (sy - slope * sx) / n
        return LinearFit(slopePerMs: slope, valueAtT0: intercept, t0: t0, points: points.count)
    }

    public func value(at t: Int64) -> Double { valueAtT0 + slopePerMs * Double(t - t0) }

    /// Milliseconds from `now` until the line reaches `bound` moving the way it goes, nil
    /// when it is not heading there (flat or moving away). 0 when already past.
    public func msUntil(_ bound: Double, from now: Int64, rising: Bool = true) -> Double? {
        let v = value(at: now)
        if rising ? v >= bound : v <= bound { return 0 }
        guard rising ? slopePerMs > 0 : slopePerMs < 0 else { return nil }
        return (bound - v) / slopePerMs
    }
}

/// One point per minute (the minute's mean) over `lookbackMs`, and the line through them,
/// refitted when a minute closes: what a forecast rule checks on every tick costs nothing.
struct MinuteSeries {
    let lookbackMs: Int64
    private(set) var points: [(t: Int64, v: Double)] = []
    private var minute: Int64 = .min
    private var sum = 0.0
    private var count = 0
    private(set) var fit: LinearFit?

    init(lookbackMs: Int64) { self.lookbackMs = lookbackMs }

    mutating func add(_ v: Double, at now: Int64) {
        let m = now / 60_000
        if m != minute {
            if count > 0 {
                points.append((minute * 60_000 + 30_000, sum / Double(count)))
                let oldest = now - lookbackMs
                if let i = points.firstIndex(where: { $0.t >= oldest }), i > 0 { points.removeFirst(i) }
                fit = LinearFit.fit(points)
            }
            minute = m; sum = 0; count = 0
        }
        sum += v; count += 1
    }

    /// Whether the points cover enough of the lookback for a fit to mean something.
    func covers(fraction: Double) -> Bool {
        guard let first = points.first, let last = points.last else { return false }
        return Double(last.t - first.t) >= Double(lookbackMs) * fraction && points.count >= 10
    }
}
