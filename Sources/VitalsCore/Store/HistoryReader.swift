import VitalsSupport
/// The read side: answers a `HistoryQuery` on a read-only connection. SQL reads each tier's
/// rows in time order; Swift sums them into the buckets of the grid as they stream past.
enum HistoryReader {
    static func query(_ q: HistoryQuery, tiers: [HistoryTier], now: Int64,
                      on db: SQLiteConnection) throws(StoreError) -> HistoryResult {
        guard q.from < q.to else {
            throw .invalidQuery("from (\(q.from)) must be before to (\(q.to))")
        }
        let from = max(q.from, 0)
        guard from < q.to else { throw .invalidQuery("the range ends before the epoch") }
        // Bounding the range keeps every bucket computation far from Int64 overflow.
        guard q.to <= HistoryTierPlan.maxTimestampMs else {
            throw .invalidQuery("to (\(q.to)) is past the year 9999")
        }
        let points = min(max(q.points, 1), HistoryTierPlan.maxPoints)
        let tierIndex = HistoryTierPlan.chooseTier(tiers, from: from, to: q.to, points: points, now: now)
        let grid = HistoryTierPlan.grid(stepMs: tiers[tierIndex].stepMs, from: from, to: q.to, points: points)

        var series: [String: [HistoryBucket]] = [:]
        for name in q.metrics where series[name] == nil {
            guard let id = try metricID(name, db) else {
                series[name] = []
                continue
            }
            series[name] = try buckets(metric: id, tierIndex: tierIndex, grid: grid, to: q.to, tiers: tiers, db)
        }
        return HistoryResult(tier: tiers[tierIndex].name, bucketMs: grid.width,
                             from: grid.first, to: q.to, series: series)
    }

    private static func metricID(_ name: String, _ db: SQLiteConnection) throws(StoreError) -> Int64? {
        let s = try db.statement("SELECT id FROM metrics WHERE name = ?1")
        s.bind(1, name)
        defer { s.reset() }
        return try s.step() ? s.int64(0) : nil
    }

    /// Reads the chosen tier up to where it has been rolled up, and each finer tier for the
    /// part after that, so the newest buckets reach "now" instead of lagging a rollup step.
    private static func buckets(metric: Int64, tierIndex c: Int, grid: HistoryTierPlan.Grid, to: Int64,
                                tiers: [HistoryTier], _ db: SQLiteConnection) throws(StoreError) -> [HistoryBucket] {
        var empty = [HistoryBucket]()
        empty.reserveCapacity(grid.count)
        for i in 0..<grid.count { empty.append(HistoryBucket(t: grid.start(i), avg: nil, min: nil, max: nil)) }
        guard grid.count > 0 else { return empty }
        let end = min(to, grid.end)

        // Segments [lo, hi) per tier, coarsest first; disjoint by construction, so a rollup
        // committing between these reads cannot count a sample twice.
        var bounds: [(lo: Int64, hi: Int64)] = []
        var lo = grid.first
        for k in stride(from: c, to: 0, by: -1) {
            let rolledUntil = try newestBucket(tier: tiers[k], metric: metric, db).map { $0 + tiers[k].stepMs }
            let hi = min(end, max(lo, rolledUntil ?? lo))
            bounds.append((lo, hi))
            lo = hi
        }
        bounds.append((lo, end))

        var arms: [String] = []
        for (n, k) in stride(from: c, through: 0, by: -1).enumerated() {
            let table = HistorySchema.tableName(tiers[k])
            let columns = k == 0 ? "ts, value AS a, value AS lo, value AS hi, 1 AS n" : "ts, avg AS a, min AS lo, max AS hi, count AS n"
            arms.append("SELECT \(columns) FROM \(table) WHERE metric = ?1 AND ts >= ?\(3 + 2 * n) AND ts < ?\(4 + 2 * n)")
        }
        // Rows come out of each arm in ts order (the key is (metric, ts)) and the arms in
        // time order, so buckets are summed here as the rows stream past. A GROUP BY in SQL
        // put every row through a sorter first: ~300 KB of SQLite heap per query in flight
        // (an hour of raw samples) and the soak's largest swing in SQLite's memory.
        let sql = arms.joined(separator: "\nUNION ALL\n")
        let s = try db.statement(sql)
        defer { s.reset() }
        s.bind(1, metric)
        for (n, seg) in bounds.enumerated() {
            s.bind(Int32(3 + 2 * n), seg.lo)
            s.bind(Int32(4 + 2 * n), seg.hi)
        }
        var sums = [BucketSum](repeating: BucketSum(), count: empty.count)
        while try s.step() {
            let t = s.int64(0) / grid.width * grid.width
            let i = Int((t - grid.first) / grid.width)
            guard i >= 0, i < sums.count, !s.isNull(1) else { continue }
            sums[i].add(avg: s.double(1), min: s.double(2), max: s.double(3), count: s.int64(4))
        }
        var result = empty
        for i in result.indices where sums[i].count > 0 {
            result[i].avg = sums[i].weighted / Double(sums[i].count)
            result[i].min = sums[i].min
            result[i].max = sums[i].max
        }
        return result
    }

    /// One bucket's running figures: the count-weighted sum of averages, as SQL's
    /// SUM(avg * count) / SUM(count) was.
    private struct BucketSum {
        var weighted = 0.0
        var count: Int64 = 0
        var min = Double.infinity
        var max = -Double.infinity

        mutating func add(avg: Double, min lo: Double, max hi: Double, count n: Int64) {
            weighted += avg * Double(n)
            count += n
            min = Swift.min(min, lo)
            max = Swift.max(max, hi)
        }
    }

    private static func newestBucket(tier: HistoryTier, metric: Int64, _ db: SQLiteConnection) throws(StoreError) -> Int64? {
        let s = try db.statement("SELECT MAX(ts) FROM \(HistorySchema.tableName(tier)) WHERE metric = ?1")
        s.bind(1, metric)
        defer { s.reset() }
        return try s.step() ? s.optionalInt64(0) : nil
    }

    static func savedSnapshots(limit: Int, _ db: SQLiteConnection) throws(StoreError) -> [SavedSnapshot] {
        let s = try db.statement("SELECT id, ts, label FROM snapshots ORDER BY ts DESC, id DESC LIMIT ?1")
        defer { s.reset() }
        s.bind(1, Int64(max(0, limit)))
        var out: [SavedSnapshot] = []
        while try s.step() {
            out.append(SavedSnapshot(id: s.int64(0), ts: s.int64(1), label: s.string(2)))
        }
        return out
    }

    static func savedSnapshotJSON(id: Int64, _ db: SQLiteConnection) throws(StoreError) -> [UInt8]? {
        let s = try db.statement("SELECT json FROM snapshots WHERE id = ?1")
        defer { s.reset() }
        s.bind(1, id)
        return try s.step() ? s.blob(0) : nil
    }

    static func setting(key: String, _ db: SQLiteConnection) throws(StoreError) -> [UInt8]? {
        let s = try db.statement("SELECT json FROM settings WHERE key = ?1")
        defer { s.reset() }
        s.bind(1, key)
        return try s.step() ? s.blob(0) : nil
    }
}
