import VitalsSupport
import Synchronization

/// A few read-only connections for queries, so a query on a worker thread never waits for
/// the writer (WAL lets readers and the writer proceed together). A connection is checked
/// out by one thread at a time, which is why it may cross threads.
final class HistoryReaderPool: Sendable {
    private struct State: ~Copyable {
        var idle: [UncheckedConnection] = []
        var generation = 0
        var closed = false
    }

    /// A connection in transit between threads; safe because the pool hands it to one
    /// borrower at a time.
    struct UncheckedConnection: @unchecked Sendable {
        let connection: SQLiteConnection
        let generation: Int
    }

    private let path: String
    private let busyTimeoutMs: Int32
    private let maxIdle: Int
    private let state = Mutex(State())

    init(path: String, busyTimeoutMs: Int32, maxIdle: Int = 2) {
        self.path = path
        self.busyTimeoutMs = busyTimeoutMs
        self.maxIdle = maxIdle
    }

    /// Runs `body` on a read-only connection to the current file.
    func withConnection<T>(_ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        let (reused, generation, closed) = state.withLock { s in (s.idle.popLast(), s.generation, s.closed) }
        guard !closed else { throw .closed }
        let lease: UncheckedConnection
        if let reused {
            lease = reused
        } else {
            let conn: SQLiteConnection
            do {
                conn = try SQLiteConnection(path: path, readOnly: true)
                try conn.exec("PRAGMA busy_timeout = \(busyTimeoutMs)")
                // A reader's page cache is dropped whenever the writer has committed since
                // its last read (every tick), so it only serves pages within one query:
                // 512 KiB instead of SQLite's 2 MB default, which each pooled reader filled
                // over an hour as the file grew (the soak's slow climb in RSS).
                try conn.exec("PRAGMA cache_size = -512")
            } catch {
                throw .unavailable("cannot open \(path) for reading: \(error)")
            }
            lease = UncheckedConnection(connection: conn, generation: generation)
        }
        defer { giveBack(lease) }
        return try body(lease.connection)
    }

    private func giveBack(_ lease: UncheckedConnection) {
        let keep = state.withLock { s -> Bool in
            guard !s.closed, lease.generation == s.generation, s.idle.count < maxIdle else { return false }
            s.idle.append(lease)
            return true
        }
        if !keep { lease.connection.close() }
    }

    /// The writer opened a new file: connections to the old one must not be reused.
    func invalidate(generation: Int) {
        let stale = state.withLock { s -> [UncheckedConnection] in
            guard s.generation != generation else { return [] }
            s.generation = generation
            defer { s.idle.removeAll() }
            return s.idle
        }
        for c in stale { c.connection.close() }
    }

    func close() {
        let stale = state.withLock { s -> [UncheckedConnection] in
            s.closed = true
            defer { s.idle.removeAll() }
            return s.idle
        }
        for c in stale { c.connection.close() }
    }
}
