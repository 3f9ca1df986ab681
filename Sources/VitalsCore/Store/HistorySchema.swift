import VitalsSupport
/// Schema of the history file. The fixed tables are versioned with `PRAGMA user_version`;
/// the per-tier tables follow the configured tiers and are created if missing on every open
/// (a tier added to the config starts empty and is filled by the next rollup).
enum HistorySchema {
    /// Migration N (1-based) brings `user_version` from N-1 to N. Append, never edit.
    static let migrations: [String] = [
        """
        CREATE TABLE IF NOT EXISTS metrics (
            id   INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE IF NOT EXISTS snapshots (
            id    INTEGER PRIMARY KEY AUTOINCREMENT,
            ts    INTEGER NOT NULL,
            label TEXT,
            json  BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS snapshots_ts ON snapshots(ts);
        """,
        // Operator settings that survive a restart (advisor settings, constraints), one JSON
        // document per key.
        """
        CREATE TABLE IF NOT EXISTS settings (
            key        TEXT PRIMARY KEY,
            json       BLOB NOT NULL,
            updated_ts INTEGER NOT NULL
        );
        """,
        // Jobs (one JSON document per job, as the API shows it, with the columns lists
        // filter on) and the activity feed.
        """
        CREATE TABLE IF NOT EXISTS jobs (
            id         INTEGER PRIMARY KEY,
            state      TEXT NOT NULL,
            created_ts INTEGER NOT NULL,
            ended_ts   INTEGER,
            json       BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, id);
        CREATE TABLE IF NOT EXISTS activity (
            id      INTEGER PRIMARY KEY,
            ts      INTEGER NOT NULL,
            kind    TEXT NOT NULL,
            message TEXT NOT NULL,
            labels  BLOB NOT NULL
        );
        CREATE INDEX IF NOT EXISTS activity_kind ON activity(kind, id);
        CREATE INDEX IF NOT EXISTS activity_ts ON activity(ts);
        """,
        // Alerts: one row per episode (its current state), every state change, and the
        // notification outbox (webhooks, Alertmanager), delivered at least once, in order.
        """
        CREATE TABLE IF NOT EXISTS alerts (
            id             INTEGER PRIMARY KEY,
            rule           TEXT NOT NULL,
            fingerprint    TEXT NOT NULL,
            labels         BLOB NOT NULL,
            state          TEXT NOT NULL,
            severity       TEXT,
            value          REAL,
            starts_ts      INTEGER NOT NULL,
            fired_ts       INTEGER,
            resolved_ts    INTEGER,
            summary        TEXT NOT NULL,
            description    TEXT NOT NULL,
            ack_by         TEXT,
            ack_ts         INTEGER,
            ack_comment    TEXT,
            ack_expires_ts INTEGER,
            updated_ts     INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS alerts_state ON alerts(state);
        CREATE INDEX IF NOT EXISTS alerts_starts ON alerts(starts_ts);
        CREATE TABLE IF NOT EXISTS alert_events (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id INTEGER NOT NULL,
            ts       INTEGER NOT NULL,
            change   TEXT NOT NULL,
            state    TEXT NOT NULL,
            severity TEXT,
            value    REAL
        );
        CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events(alert_id, id);
        CREATE TABLE IF NOT EXISTS notifications (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id    INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            kind        TEXT NOT NULL,
            target      TEXT NOT NULL,
            status      TEXT NOT NULL,
            payload     BLOB NOT NULL,
            created_ts  INTEGER NOT NULL,
            state       TEXT NOT NULL,
            attempts    INTEGER NOT NULL DEFAULT 0,
            next_ts     INTEGER NOT NULL,
            last_status INTEGER,
            last_error  TEXT,
            done_ts     INTEGER
        );
        CREATE INDEX IF NOT EXISTS notifications_due ON notifications(state, next_ts);
        """,
        // The audit log: every admin action and every refusal on an admin route. Rows are
        // only ever inserted (and deleted past retention), never updated.
        """
        CREATE TABLE IF NOT EXISTS audit (
            id     INTEGER PRIMARY KEY AUTOINCREMENT,
            ts     INTEGER NOT NULL,
            who    TEXT NOT NULL,
            remote TEXT NOT NULL,
            method TEXT NOT NULL,
            route  TEXT NOT NULL,
            status INTEGER NOT NULL,
            before BLOB,
            after  BLOB
        );
        CREATE INDEX IF NOT EXISTS audit_ts ON audit(ts);
        """,
    ]

    static var currentVersion: Int64 { Int64(migrations.count) }

    static func tableName(_ tier: HistoryTier) -> String { "\"hist_\(tier.name)\"" }

    /// Keyed (metric, ts) without rowid: a series' range is one contiguous b-tree walk.
    static func createTierTable(_ tier: HistoryTier, isRaw: Bool) -> String {
        let columns = isRaw ? "value REAL NOT NULL"
            : "avg REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, count INTEGER NOT NULL"
        return """
            CREATE TABLE IF NOT EXISTS \(tableName(tier)) (
                metric INTEGER NOT NULL, ts INTEGER NOT NULL, \(columns),
                PRIMARY KEY (metric, ts)
            ) WITHOUT ROWID
            """
    }

    /// Sets the connection up for one writer and concurrent readers, then migrates.
    static func prepare(_ db: SQLiteConnection, tiers: [HistoryTier], busyTimeoutMs: Int32) throws(StoreError) {
        try db.exec("PRAGMA busy_timeout = \(busyTimeoutMs)")
        try db.exec("PRAGMA journal_mode = WAL", context: "enable WAL")
        try db.exec("PRAGMA synchronous = NORMAL")
        let version = try db.pragmaInt("user_version")
        if version > currentVersion {
            throw .unavailable("\(db.path) has schema version \(version), newer than this build knows (\(currentVersion))")
        }
        try db.transaction { () throws(StoreError) in
            for v in Int(version)..<migrations.count {
                try db.exec(migrations[v], context: "migrate schema to version \(v + 1)")
            }
            for (i, tier) in tiers.enumerated() {
                try db.exec(createTierTable(tier, isRaw: i == 0), context: "create table for tier \(tier.name)")
            }
            try db.exec("PRAGMA user_version = \(currentVersion)")
        }
    }
}
