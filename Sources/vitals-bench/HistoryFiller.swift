import CSQLite
import Glibc
import VitalsSupport
import VitalsTransport
import VitalsCore
import VitalsAPI

/// Fills a history file as if the daemon had run for `days`: raw samples for the raw tier's
/// retention, 10 s and 5 min buckets for the whole span. The daemon's own store creates the
/// schema (so the layout cannot drift from it); the rows go in through plain prepared
/// statements in one transaction, which is ~100x faster than appending through the store.
enum HistoryFiller {
    static func fill(path: String, days: Int, nowMs: Int64) throws -> String {
        let tiers = HistoryTier.defaults
        var options = HistoryStoreOptions()
        options.flushIntervalMs = nil
        options.pruneIntervalMs = nil
        try HistoryStore(path: path, tiers: tiers, options: options, time: ManualTime(wallMs: nowMs)).close()

        let names = HistoryMetrics.names(gpuCount: 0)
        let t0 = Clock.monotonicNs()
        let db = try Database(path: path)
        defer { db.close() }
        try db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; BEGIN")
        try db.exec("DELETE FROM metrics")
        var ids: [Int64] = []
        try db.withStatement("INSERT INTO metrics (id, name) VALUES (?1, ?2)") { (s) throws(BenchError) in
            for (i, name) in names.enumerated() {
                let id = Int64(i + 1)
                sqlite3_bind_int64(s, 1, id)
                sqlite3_bind_text(s, 2, name, -1, transient)
                try Database.step(s)
                ids.append(id)
            }
        }
        let span = Int64(days) * 86_400_000
        var rows = 0
        for (i, tier) in tiers.enumerated() {
            let isRaw = i == 0
            let tierSpan = min(span, tier.retentionMs)
            let table = "\"hist_\(tier.name)\""
            try db.exec("DELETE FROM \(table)")
            let sql = isRaw ? "INSERT INTO \(table) VALUES (?1, ?2, ?3)"
                : "INSERT INTO \(table) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            // Rows end one step before "now" so the daemon's first rollup finds nothing to redo.
            let end = nowMs - nowMs % tier.stepMs
            try db.withStatement(sql) { (s) throws(BenchError) in
                for id in ids {
                    var ts = end - tierSpan
                    while ts < end {
                        let v = 50 + 40 * sin(Double(ts) / 3_600_000 + Double(id))
                        sqlite3_bind_int64(s, 1, id)
                        sqlite3_bind_int64(s, 2, ts)
                        sqlite3_bind_double(s, 3, v)
                        if !isRaw {
                            sqlite3_bind_double(s, 4, v - 5)
                            sqlite3_bind_double(s, 5, v + 5)
                            sqlite3_bind_int64(s, 6, tier.stepMs / tiers[0].stepMs)
                        }
                        try Database.step(s)
                        rows += 1
                        ts += tier.stepMs
                    }
                }
            }
        }
        try db.exec("COMMIT; PRAGMA wal_checkpoint(TRUNCATE)")
        let seconds = Double(Clock.monotonicNs() - t0) / 1e9
        var st = stat()
        let bytes = stat(path, &st) == 0 ? Int(st.st_size) : 0
        return "filled \(path): \(names.count) metrics, \(days) d, \(rows) rows, "
            + "\(Fixed.format(Double(bytes) / 1_048_576, 1)) MiB in \(Fixed.format(seconds, 1)) s"
    }

    /// SQLITE_TRANSIENT is a macro Swift does not import.
    static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// Just enough of SQLite for a bulk load; the store's own wrapper is internal to VitalsCore.
final class Database {
    private var handle: OpaquePointer?

    init(path: String) throws(BenchError) {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw BenchError("open \(path): \(message)")
        }
        handle = db
    }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func exec(_ sql: String) throws(BenchError) {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &err) != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(err)
            throw BenchError("\(sql): \(message)")
        }
    }

    func withStatement(_ sql: String, _ body: (OpaquePointer) throws(BenchError) -> Void) throws(BenchError) {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw BenchError("prepare \(sql): \(String(cString: sqlite3_errmsg(handle)))")
        }
        defer { sqlite3_finalize(stmt) }
        try body(stmt)
    }

    /// Runs an insert and readies the statement for the next row.
    static func step(_ s: OpaquePointer) throws(BenchError) {
        let rc = sqlite3_step(s)
        sqlite3_reset(s)
        guard rc == SQLITE_DONE else { throw BenchError("insert failed: \(String(cString: sqlite3_errstr(rc)))") }
    }
}
