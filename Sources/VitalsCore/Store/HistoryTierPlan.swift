import VitalsSupport
/// Pure arithmetic of the history: tier validation, tier choice for a query, and the
/// bucket grid. Kept apart from SQLite so it can be tested on its own.
public enum HistoryTierPlan {
    static let maxPoints = 1_000

    static func validate(_ tiers: [HistoryTier]) throws(StoreError) {
        guard !tiers.isEmpty else { throw .invalidConfiguration("at least one tier is needed") }
        var names = Set<String>()
        for (i, t) in tiers.enumerated() {
            // The name becomes part of a table name: keep it to a safe alphabet.
            guard !t.name.isEmpty, t.name.utf8.count <= 32,
                  t.name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0)
                      || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) })
            else { throw .invalidConfiguration("tier name \"\(t.name)\" must be 1-32 letters, digits or _") }
            guard names.insert(t.name).inserted else { throw .invalidConfiguration("tier name \"\(t.name)\" is used twice") }
            guard t.stepMs > 0 else { throw .invalidConfiguration("tier \(t.name): step must be > 0 ms") }
            guard t.retentionMs > 0 else { throw .invalidConfiguration("tier \(t.name): retention must be > 0 ms") }
            if i > 0 {
                let finer = tiers[i - 1]
                // Each bucket must be made of whole finer buckets, or rollups would split rows.
                guard t.stepMs > finer.stepMs, t.stepMs % finer.stepMs == 0 else {
                    throw .invalidConfiguration("tier \(t.name): step \(t.stepMs) ms must be a multiple of the finer tier's \(finer.stepMs) ms and larger")
                }
            }
        }
    }

    /// Index of the tier that answers `[from, to)` with `points` buckets at time `now`.
    /// Among tiers still holding `from`, the coarsest whose step fits in one bucket; if the
    /// range is too short for any of them, the finest that holds it; if none holds `from`
    /// any more, the coarsest (it has the longest memory).
    static func chooseTier(_ tiers: [HistoryTier], from: Int64, to: Int64, points: Int, now: Int64) -> Int {
        let idealWidth = (to - from) / Int64(max(points, 1))
        let covering = tiers.indices.filter { now - tiers[$0].retentionMs <= from }
        guard let finest = covering.first else { return tiers.count - 1 }
        return covering.last(where: { tiers[$0].stepMs <= idealWidth }) ?? finest
    }

    /// 9999-12-31T23:59:59.999Z: the latest time a query may name.
    public static let maxTimestampMs: Int64 = 253_402_300_799_999

    /// The bucket grid: width, first bucket start and bucket count.
    struct Grid: Equatable {
        var width: Int64
        var first: Int64
        var count: Int
        func start(_ i: Int) -> Int64 { first + Int64(i) * width }
        var end: Int64 { first + Int64(count) * width }
    }

    /// Buckets are aligned to multiples of their width counted from the epoch, so a client
    /// polling a sliding window sees the same buckets each time. The first bucket is the
    /// first one starting at or after `from`; the last may be cut short by `to`.
    static func grid(stepMs: Int64, from: Int64, to: Int64, points: Int) -> Grid {
        let span = to - from
        let perPoint = (span + Int64(points) - 1) / Int64(points)
        let width = Swift.max(stepMs, perPoint, 1)
        let first = ceilToMultiple(from, of: width)
        var count = 0
        if first < to { count = Int((to - first + width - 1) / width) }
        return Grid(width: width, first: first, count: Swift.min(count, points))
    }

    static func floorToMultiple(_ v: Int64, of m: Int64) -> Int64 {
        let q = v / m
        return (v % m != 0 && v < 0) ? (q - 1) * m : q * m
    }

    static func ceilToMultiple(_ v: Int64, of m: Int64) -> Int64 {
        let f = floorToMultiple(v, of: m)
        return f == v ? v : f + m
    }
}
