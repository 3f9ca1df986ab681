import VitalsSupport
import CSQLite

/// A thin owner of one `sqlite3*`. Not thread-safe on purpose: each connection is used by
/// one thread at a time (the writer queue, or a reader checked out of the pool), so it is
/// opened with SQLITE_OPEN_NOMUTEX and SQLite's own locks are skipped.
///
/// Every connection uses the `unix-excl` VFS. With the default VFS, WAL mode maps the
/// `-shm` file; a write to that mapping that the file system refuses (file made immutable,
/// a file system gone read-only, the file truncated) is a SIGBUS that kills the daemon.
/// `unix-excl` keeps the WAL index in heap memory shared by this process's connections,
/// so readers still run beside the writer, and it holds a lock that keeps every other
/// process out of the file: a second daemon on the same data directory gets SQLITE_BUSY.
final class SQLiteConnection {
    static let vfs = "unix-excl"

    /// SQLite's memory over all connections (page caches mostly) is kept near 1 MiB: past
    /// it, SQLite reuses cache pages instead of allocating more, and pages it drops are read
    /// again from the kernel's page cache (a flush touches about two leaf pages per metric,
    /// so that costs microseconds a second). Without a bound each connection's cache grew
    /// with the file up to its 2 MB default. At 1.5 MiB the soak (the file growing ~110 KB
    /// a minute on a 2-core host) reached the bound only after 13 minutes, so RSS still
    /// rose past the 5-minute mark; at 1 MiB it is reached by then. Applied once, before
    /// the first connection opens.
    static let memoryBound: Void = { _ = sqlite3_soft_heap_limit64(1 << 20) }()

    /// SQLite's heap now, over every connection of the process.
    static var memoryUsed: Int { Int(sqlite3_memory_used()) }

    private(set) var handle: OpaquePointer?
    let path: String
    /// Prepared once, reused for every call with the same SQL text.
    private var statements: [String: SQLiteStatement] = [:]

    /// `readOnly` connections are opened read-write without CREATE and then refuse writes
    /// (`query_only`): a SQLITE_OPEN_READONLY file skips the `unix-excl` process lock and
    /// would fall back to mapping a `-shm` file.
    init(path: String, readOnly: Bool) throws(StoreError) {
        self.path = path
        _ = Self.memoryBound
        var db: OpaquePointer?
        // NOFOLLOW: a database path that is a symbolic link is refused, so the daemon
        // never writes through a link into someone else's file.
        let flags = (readOnly ? SQLITE_OPEN_READWRITE : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        let rc = sqlite3_open_v2(path, &db, flags, Self.vfs)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw StoreError.sqlite(code: rc, message: message, context: "open \(path)")
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
        if readOnly { try exec("PRAGMA query_only = ON") }
    }

    deinit { close() }

    func close() {
        for s in statements.values { s.finalize() }
        statements.removeAll()
        // close_v2 defers the real close until stray statements are finalized: never fails.
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func exec(_ sql: String, context: String? = nil) throws(StoreError) {
        guard let handle else { throw StoreError.closed }
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(err)
            throw StoreError.sqlite(code: rc, message: message, context: context ?? sql)
        }
    }

    /// A cached prepared statement, reset and with bindings cleared.
    func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let s = statements[sql] {
            s.reset()
            return s
        }
        let s = try prepare(sql)
        statements[sql] = s
        return s
    }

    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        guard let handle else { throw StoreError.closed }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw error(rc, "prepare \(sql)")
        }
        return SQLiteStatement(stmt: stmt, connection: self, sql: sql)
    }

    var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }
    var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    func error(_ rc: Int32, _ context: String) -> StoreError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "connection closed"
        return .sqlite(code: rc, message: message, context: context)
    }

    /// Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// Reads one integer pragma (`user_version`, `page_count`...).
    func pragmaInt(_ name: String) throws(StoreError) -> Int64 {
        let s = try prepare("PRAGMA \(name)")
        defer { s.finalize() }
        guard try s.step() else { return 0 }
        return s.int64(0)
    }
}

/// One prepared statement. Bind indexes are 1-based, column indexes 0-based (as in SQLite).
final class SQLiteStatement {
    private var stmt: OpaquePointer?
    private unowned let connection: SQLiteConnection
    let sql: String

    init(stmt: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.stmt = stmt
        self.connection = connection
        self.sql = sql
    }

    func finalize() {
        sqlite3_finalize(stmt)
        stmt = nil
    }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(stmt, index, value) }
    func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(stmt, index, value) }
    func bind(_ index: Int32, _ value: String?) {
        guard let value else { sqlite3_bind_null(stmt, index); return }
        // With its length: a C string would end at the first NUL ("a\u0000b" stored as "a").
        var copy = value
        copy.withUTF8 { u in
            guard let base = u.baseAddress, u.count > 0 else {
                // A zero-length text still needs a non-NULL pointer, or SQLite stores NULL.
                sqlite3_bind_text(stmt, index, "", 0, sqliteTransient)
                return
            }
            base.withMemoryRebound(to: CChar.self, capacity: u.count) {
                _ = sqlite3_bind_text(stmt, index, $0, Int32(u.count), sqliteTransient)
            }
        }
    }
    func bind(_ index: Int32, blob: [UInt8]) {
        blob.withUnsafeBytes { raw in
            // A zero-length blob still needs a non-NULL pointer, or SQLite stores NULL.
            _ = sqlite3_bind_blob(stmt, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1),
                                  Int32(raw.count), sqliteTransient)
        }
    }

    /// Steps once: true when a row is ready, false when done.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let e = connection.error(rc, sql)
            sqlite3_reset(stmt)
            throw e
        }
    }

    /// Steps to completion, for statements that return no rows.
    func run() throws(StoreError) {
        while try step() {}
        sqlite3_reset(stmt)
    }

    func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }
    func int64(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }
    func double(_ col: Int32) -> Double { sqlite3_column_double(stmt, col) }
    func optionalInt64(_ col: Int32) -> Int64? { isNull(col) ? nil : int64(col) }
    func optionalDouble(_ col: Int32) -> Double? { isNull(col) ? nil : double(col) }
    func string(_ col: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, col) else { return nil }
        let n = Int(sqlite3_column_bytes(stmt, col))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
    func blob(_ col: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(stmt, col))
        guard n > 0, let p = sqlite3_column_blob(stmt, col) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// SQLITE_TRANSIENT (the C macro is not imported): SQLite copies the bound bytes at once.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
