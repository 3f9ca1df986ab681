import VitalsSupport
/// The read side: answers a `HistoryQuery` on a read-only connection. Bucketing happens in
/// SQL (GROUP BY ts / width); Swift only lays the rows onto the bucket grid.
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
        let sql = """
            SELECT ts / ?2 AS b, SUM(a * n) / SUM(n), MIN(lo), MAX(hi) FROM (
            \(arms.joined(separator: "\nUNION ALL\n"))
            ) GROUP BY b ORDER BY b
            """
        let s = try db.statement(sql)
        defer { s.reset() }
        s.bind(1, metric)
        s.bind(2, grid.width)
        for (n, seg) in bounds.enumerated() {
            s.bind(Int32(3 + 2 * n), seg.lo)
            s.bind(Int32(4 + 2 * n), seg.hi)
        }
        var result = empty
        while try s.step() {
            let t = s.int64(0) * grid.width
            let i = Int((t - grid.first) / grid.width)
            guard i >= 0, i < result.count else { continue }
            result[i].avg = s.optionalDouble(1)
            result[i].min = s.optionalDouble(2)
            result[i].max = s.optionalDouble(3)
        }
        return result
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
