import VitalsSupport
import CSQLite
import Glibc

/// One sample as handed to `append`, non-finite values already removed.
struct PendingSample {
    var ts: Int64
    var values: [(String, Double)]
}

/// The write side of the history: the single writer connection and everything derived from
/// it (metric ids, rollup cursors). Confined to the store's serial writer queue.
///
/// The connection is optional: when the file cannot be opened (directory missing, disk
/// gone) the writer stays closed and every flush tries again.
final class HistoryWriter {
    let path: String
    let tiers: [HistoryTier]
    let options: HistoryStoreOptions
    let time: any TimeSource

    private var db: SQLiteConnection?
    /// (st_dev, st_ino) of the file when opened: a deleted or replaced file is noticed
    /// before writing into an inode nobody will ever read again.
    private var fileIdentity: (UInt64, UInt64)?
    private var metricIDs: [String: Int64] = [:]
    /// Per tier (index 0 unused): start of the first bucket not yet rolled up; nil while
    /// the finer tier is empty.
    private var cursors: [Int64?]
    private var newestRawTs: Int64?
    /// Bumped on every (re)open, so readers drop connections to a previous file.
    private(set) var openCount = 0

    init(path: String, tiers: [HistoryTier], options: HistoryStoreOptions, time: any TimeSource) {
        self.path = path
        self.tiers = tiers
        self.options = options
        self.time = time
        cursors = Array(repeating: nil, count: tiers.count)
    }

    var isOpen: Bool { db != nil }
    /// Set by `shutDown`: the store is closed for good and must not reopen the file.
    private var isShutDown = false

    func shutDown() {
        isShutDown = true
        close()
    }

    func close() {
        db?.close()
        db = nil
        metricIDs.removeAll()
    }

    // MARK: open

    /// Opens (or reopens) the file if needed; returns the connection.
    @discardableResult
    func ensureOpen() throws(StoreError) -> SQLiteConnection {
        guard !isShutDown else { throw .closed }
        if let db {
            if let identity = fileIdentity, Self.identity(of: path).map({ $0 != identity }) ?? true {
                // The file was deleted or replaced under us: start a new one at the path.
                close()
            } else {
                return db
            }
        }
        let conn = try SQLiteConnection(path: path, readOnly: false)
        do {
            try HistorySchema.prepare(conn, tiers: tiers, busyTimeoutMs: options.busyTimeoutMs)
            try loadState(conn)
        } catch {
            conn.close()
            // Still locked after the busy timeout: another process holds the unix-excl lock.
            if error.primaryCode == SQLITE_BUSY { throw .inUse(path) }
            throw error
        }
        db = conn
        fileIdentity = Self.identity(of: path)
        openCount += 1
        return conn
    }

    private static func identity(of path: String) -> (UInt64, UInt64)? {
        var st = stat()
        // fstatat: plain `stat` is shadowed by the struct of the same name.
        guard fstatat(AT_FDCWD, path, &st, 0) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// Restart safety: metric ids, the newest sample, and where each rollup left off.
    private func loadState(_ conn: SQLiteConnection) throws(StoreError) {
        metricIDs.removeAll()
        let s = try conn.prepare("SELECT id, name FROM metrics")
        defer { s.finalize() }
        while try s.step() {
            if let name = s.string(1) { metricIDs[name] = s.int64(0) }
        }
        let ids = Array(metricIDs.values)
        newestRawTs = try extreme("MAX", tier: 0, ids: ids, conn)
        for i in tiers.indices.dropFirst() {
            // Recompute the newest bucket (it is idempotent) in case the process stopped mid-way.
            if let newest = try extreme("MAX", tier: i, ids: ids, conn) {
                cursors[i] = newest
            } else if let oldestSource = try extreme("MIN", tier: i - 1, ids: ids, conn) {
                cursors[i] = HistoryTierPlan.floorToMultiple(oldestSource, of: tiers[i].stepMs)
            } else {
                cursors[i] = nil
            }
        }
    }

    /// MIN or MAX of ts across metrics, one index seek per metric (a bare MIN(ts) over a
    /// table keyed (metric, ts) would scan it all).
    private func extreme(_ fn: String, tier: Int, ids: [Int64], _ conn: SQLiteConnection) throws(StoreError) -> Int64? {
        let s = try conn.statement("SELECT \(fn)(ts) FROM \(HistorySchema.tableName(tiers[tier])) WHERE metric = ?1")
        var result: Int64?
        for id in ids {
            s.reset()
            s.bind(1, id)
            if try s.step(), let v = s.optionalInt64(0) {
                result = result.map { fn == "MAX" ? max($0, v) : min($0, v) } ?? v
            }
        }
        s.reset()
        return result
    }

    // MARK: write

    /// Writes the batch in one transaction. On failure nothing of it is kept in the file
    /// and the caller keeps the batch for the next try.
    func write(_ batch: [PendingSample]) throws(StoreError) {
        let conn = try ensureOpen()
        guard !batch.isEmpty else { return }
        do {
            try conn.transaction { () throws(StoreError) in
                let insert = try conn.statement(
                    "INSERT OR REPLACE INTO \(HistorySchema.tableName(tiers[0])) (metric, ts, value) VALUES (?1, ?2, ?3)")
                for sample in batch {
                    for (name, value) in sample.values {
                        let id = try metricID(name, conn)
                        insert.reset()
                        insert.bind(1, id)
                        insert.bind(2, sample.ts)
                        insert.bind(3, value)
                        try insert.run()
                    }
                }
            }
        } catch {
            // Ids handed out inside the rolled-back transaction no longer exist.
            metricIDs.removeAll()
            if let ids = try? reloadMetricIDs(conn) { metricIDs = ids }
            dropConnectionIfBroken(error)
            throw error
        }
        let newest = batch.map(\.ts).max()
        if let newest { newestRawTs = max(newestRawTs ?? newest, newest) }
        for i in tiers.indices.dropFirst() where cursors[i] == nil {
            if let oldest = batch.map(\.ts).min() {
                cursors[i] = HistoryTierPlan.floorToMultiple(oldest, of: tiers[i].stepMs)
            }
        }
    }

    private func reloadMetricIDs(_ conn: SQLiteConnection) throws(StoreError) -> [String: Int64] {
        var ids: [String: Int64] = [:]
        let s = try conn.statement("SELECT id, name FROM metrics")
        while try s.step() {
            if let name = s.string(1) { ids[name] = s.int64(0) }
        }
        s.reset()
        return ids
    }

    private func metricID(_ name: String, _ conn: SQLiteConnection) throws(StoreError) -> Int64 {
        if let id = metricIDs[name] { return id }
        let ins = try conn.statement("INSERT OR IGNORE INTO metrics (name) VALUES (?1)")
        ins.bind(1, name)
        try ins.run()
        let sel = try conn.statement("SELECT id FROM metrics WHERE name = ?1")
        sel.bind(1, name)
        guard try sel.step() else {
            throw StoreError.sqlite(code: 0, message: "metric row missing after insert", context: "metric id for \(name)")
        }
        let id = sel.int64(0)
        sel.reset()
        metricIDs[name] = id
        return id
    }

    /// I/O-level failures leave the connection in doubt: close it and reopen next time.
    func dropConnectionIfBroken(_ error: StoreError) {
        guard let code = error.primaryCode else { return }
        let broken: Set<Int32> = [SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_READONLY]
        if broken.contains(code) { close() }
    }

    // MARK: rollups

    /// Rolls every closed bucket (end <= newest raw sample) into each coarser tier, finest
    /// first, each tier from the one below it. INSERT OR REPLACE makes a repeat harmless.
    func rollup() throws(StoreError) {
        guard !isShutDown, let conn = db, let newest = newestRawTs else { return }
        for i in tiers.indices.dropFirst() {
            guard let start = cursors[i] else { continue }
            let step = tiers[i].stepMs
            let end = HistoryTierPlan.floorToMultiple(newest, of: step)
            guard end > start else { continue }
            let source = HistorySchema.tableName(tiers[i - 1])
            let aggregate = i == 1
                ? "AVG(value), MIN(value), MAX(value), COUNT(*)"
                : "SUM(avg * count) / SUM(count), MIN(min), MAX(max), SUM(count)"
            let sql = """
                INSERT OR REPLACE INTO \(HistorySchema.tableName(tiers[i])) (metric, ts, avg, min, max, count)
                SELECT ?1, (ts / ?4) * ?4 AS b, \(aggregate)
                FROM \(source) WHERE metric = ?1 AND ts >= ?2 AND ts < ?3 GROUP BY b
                """
            do {
                try conn.transaction { () throws(StoreError) in
                    let s = try conn.statement(sql)
                    for id in metricIDs.values {
                        s.reset()
                        s.bind(1, id)
                        s.bind(2, start)
                        s.bind(3, end)
                        s.bind(4, step)
                        try s.run()
                    }
                }
            } catch {
                dropConnectionIfBroken(error)
                throw error
            }
            cursors[i] = end
        }
    }

    // MARK: pruning

    /// Deletes rows past each tier's retention in chunks of `pruneChunkRows`, each chunk its
    /// own short transaction. Never deletes rows the next tier has not rolled up yet.
    /// Returns true when `chunkBudget` ran out before everything old was gone.
    func prune(chunkBudget: Int = 64) throws(StoreError) -> Bool {
        guard let conn = db else { return false }
        var budget = chunkBudget
        let chunk = Int64(max(1, options.pruneChunkRows))
        let clock = time.wallMs()
        for i in tiers.indices {
            var cutoff = clock - tiers[i].retentionMs
            if i + 1 < tiers.count, let next = cursors[i + 1] { cutoff = min(cutoff, next) }
            let table = HistorySchema.tableName(tiers[i])
            let sql = """
                DELETE FROM \(table) WHERE metric = ?1 AND ts < MIN(?2, COALESCE(
                    (SELECT ts FROM \(table) WHERE metric = ?1 ORDER BY ts LIMIT 1 OFFSET ?3), ?2))
                """
            let s = try conn.statement(sql)
            for id in metricIDs.values {
                while true {
                    guard budget > 0 else { return true }
                    budget -= 1
                    s.reset()
                    s.bind(1, id)
                    s.bind(2, cutoff)
                    s.bind(3, chunk)
                    do { try s.run() } catch { dropConnectionIfBroken(error); throw error }
                    if conn.changes < chunk { break }
                }
            }
        }
        return false
    }

    // MARK: snapshots

    func saveSnapshot(ts: Int64, json: [UInt8], label: String?) throws(StoreError) -> Int64 {
        let conn = try ensureOpen()
        let s = try conn.statement("INSERT INTO snapshots (ts, label, json) VALUES (?1, ?2, ?3)")
        s.bind(1, ts)
        s.bind(2, label)
        s.bind(3, blob: json)
        do { try s.run() } catch { dropConnectionIfBroken(error); throw error }
        return conn.lastInsertRowID
    }

    func saveSetting(key: String, json: [UInt8], ts: Int64) throws(StoreError) {
        let conn = try ensureOpen()
        let s = try conn.statement("INSERT INTO settings (key, json, updated_ts) VALUES (?1, ?2, ?3) "
                                   + "ON CONFLICT(key) DO UPDATE SET json = excluded.json, updated_ts = excluded.updated_ts")
        s.bind(1, key)
        s.bind(2, blob: json)
        s.bind(3, ts)
        do { try s.run() } catch { dropConnectionIfBroken(error); throw error }
    }

    /// Test hook: run SQL on the writer connection (e.g. to simulate a full disk).
    func execForTesting(_ sql: String) throws(StoreError) {
        try ensureOpen().exec(sql)
    }
}

