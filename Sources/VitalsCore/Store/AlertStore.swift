import VitalsSupport

/// One row of the notification outbox, as `GET /api/v1/alerts/notifications` shows it.
public struct NotificationRow: Sendable, Equatable {
    public var id: Int64
    public var alertID: Int64
    public var fingerprint: String
    /// `webhook` or `alertmanager`.
    public var kind: String
    public var target: String
    /// `firing` or `resolved`: what the payload says.
    public var status: String
    public var payload: [UInt8]
    public var createdMs: Int64
    /// `pending`, `delivered`, `failed` (a 4xx: not retried) or `expired`.
    public var state: String
    public var attempts: Int
    public var nextMs: Int64
    public var lastStatus: Int?
    public var lastError: String?
    public var doneMs: Int64?
}

/// Filters for the alert history.
public struct AlertHistoryQuery: Sendable {
    public var fromMs: Int64?
    public var toMs: Int64?
    public var severity: String?
    public var rule: String?
    public var limit = 100
    public var offset = 0
    public init() {}
}

/// Alert episodes, their state changes and the outbox, in the history file.
extension HistoryStore {
    static let alertColumns = """
        id, rule, fingerprint, labels, state, severity, value, starts_ts, fired_ts, resolved_ts, summary, description,
        ack_by, ack_ts, ack_comment, ack_expires_ts, updated_ts
        """

    /// Stores what happened (the episode row replaced, the change appended) and queues the
    /// notifications, in one transaction: a change is never stored without its deliveries.
    public func recordAlertEvents(_ events: [AlertEvent], notifications: [NotificationRow]) throws {
        try write { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                let upsert = try db.statement("""
                    INSERT OR REPLACE INTO alerts (\(Self.alertColumns)) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                    """)
                let event = try db.statement("INSERT INTO alert_events (alert_id, ts, change, state, severity, value) VALUES (?,?,?,?,?,?)")
                for e in events {
                    let a = e.alert
                    upsert.reset()
                    Self.bind(a, upsert)
                    try upsert.run()
                    event.reset()
                    event.bind(1, a.id); event.bind(2, e.atMs); event.bind(3, e.change.rawValue); event.bind(4, a.state.rawValue)
                    event.bind(5, a.severity?.rawValue)
                    if let v = a.value, v.isFinite { event.bind(6, v) }
                    try event.run()
                }
                try Self.insertNotifications(notifications, db)
            }
        }
    }

    public func enqueueNotifications(_ rows: [NotificationRow]) throws {
        guard !rows.isEmpty else { return }
        try write { db throws(StoreError) in try db.transaction { () throws(StoreError) in try Self.insertNotifications(rows, db) } }
    }

    static func insertNotifications(_ rows: [NotificationRow], _ db: SQLiteConnection) throws(StoreError) {
        let s = try db.statement("""
            INSERT INTO notifications (alert_id, fingerprint, kind, target, status, payload, created_ts, state, attempts, next_ts)
            VALUES (?,?,?,?,?,?,?,'pending',0,?)
            """)
        for n in rows {
            s.reset()
            s.bind(1, n.alertID); s.bind(2, n.fingerprint); s.bind(3, n.kind); s.bind(4, n.target); s.bind(5, n.status)
            s.bind(6, blob: n.payload); s.bind(7, n.createdMs); s.bind(8, n.nextMs)
            try s.run()
        }
    }

    static func bind(_ a: AlertRecord, _ s: SQLiteStatement) {
        var w = JSONWriter()
        w.beginObject()
        for (k, v) in a.labels { w.field(k, v) }
        w.endObject()
        s.bind(1, a.id); s.bind(2, a.rule); s.bind(3, a.fingerprint); s.bind(4, blob: w.bytes); s.bind(5, a.state.rawValue)
        s.bind(6, a.severity?.rawValue)
        if let v = a.value, v.isFinite { s.bind(7, v) }
        s.bind(8, a.startsMs)
        if let t = a.firedMs { s.bind(9, t) }
        if let t = a.resolvedMs { s.bind(10, t) }
        s.bind(11, a.summary); s.bind(12, a.description)
        if let ack = a.ack {
            s.bind(13, ack.by); s.bind(14, ack.atMs); s.bind(15, ack.comment)
            if let e = ack.expiresMs { s.bind(16, e) }
        }
        s.bind(17, a.updatedMs)
    }

    static func alert(from s: SQLiteStatement) -> AlertRecord {
        var labels: [(String, String)] = []
        if let o = try? JSONValue.parse(s.blob(3)).objectValue {
            labels = o.compactMap { k, v in v.stringValue.map { (k, $0) } }.sorted { $0.0 < $1.0 }
        }
        let ack = s.string(12).map {
            AlertAcknowledgement(by: $0, atMs: s.int64(13), comment: s.string(14), expiresMs: s.optionalInt64(15))
        }
        return AlertRecord(id: s.int64(0), rule: s.string(1) ?? "", fingerprint: s.string(2) ?? "", labels: labels,
                           state: AlertState(rawValue: s.string(4) ?? "") ?? .inactive,
                           severity: s.string(5).flatMap(AlertSeverity.init(rawValue:)), value: s.optionalDouble(6),
                           startsMs: s.int64(7), firedMs: s.optionalInt64(8), resolvedMs: s.optionalInt64(9),
                           summary: s.string(10) ?? "", description: s.string(11) ?? "", ack: ack, updatedMs: s.int64(16))
    }

    /// Pending and firing alerts, and those resolved since `resolvedSinceMs`: what a restart
    /// carries on with. The second value is the next free id.
    public func restorableAlerts(resolvedSinceMs: Int64) throws -> ([AlertRecord], Int64) {
        try read { db throws(StoreError) in
            let s = try db.statement("""
                SELECT \(Self.alertColumns) FROM alerts
                WHERE state IN ('pending','firing') OR (state = 'resolved' AND resolved_ts >= ?) ORDER BY id
                """)
            s.bind(1, resolvedSinceMs)
            var out: [AlertRecord] = []
            while try s.step() { out.append(Self.alert(from: s)) }
            let m = try db.statement("SELECT COALESCE(MAX(id), 0) FROM alerts")
            // Reset at once: a statement left on a row holds its read transaction open, and
            // this pooled connection would go on reading that old snapshot.
            let next = try m.step() ? m.int64(0) + 1 : 1
            m.reset()
            return (out, next)
        }
    }

    public func alertHistory(_ q: AlertHistoryQuery) throws -> (alerts: [AlertRecord], total: Int) {
        try read { db throws(StoreError) in
            var conds = ["state <> 'inactive'"]
            if q.fromMs != nil { conds.append("COALESCE(resolved_ts, updated_ts) >= ?1") }
            if q.toMs != nil { conds.append("starts_ts <= ?2") }
            if q.severity != nil { conds.append("severity = ?3") }
            if q.rule != nil { conds.append("rule = ?4") }
            let whereSQL = conds.joined(separator: " AND ")
            func bind(_ s: SQLiteStatement) {
                if let v = q.fromMs { s.bind(1, v) }
                if let v = q.toMs { s.bind(2, v) }
                if let v = q.severity { s.bind(3, v) }
                if let v = q.rule { s.bind(4, v) }
            }
            let c = try db.statement("SELECT COUNT(*) FROM alerts WHERE \(whereSQL)")
            bind(c)
            let total = try c.step() ? Int(c.int64(0)) : 0
            c.reset()
            let s = try db.statement("SELECT \(Self.alertColumns) FROM alerts WHERE \(whereSQL) ORDER BY starts_ts DESC, id DESC LIMIT ?5 OFFSET ?6")
            bind(s)
            s.bind(5, Int64(q.limit)); s.bind(6, Int64(q.offset))
            var out: [AlertRecord] = []
            while try s.step() { out.append(Self.alert(from: s)) }
            s.reset()
            return (out, total)
        }
    }

    public func storedAlert(id: Int64) throws -> AlertRecord? {
        try read { db throws(StoreError) in
            let s = try db.statement("SELECT \(Self.alertColumns) FROM alerts WHERE id = ?")
            s.bind(1, id)
            defer { s.reset() }
            return try s.step() ? Self.alert(from: s) : nil
        }
    }

    /// The state changes of one alert, oldest first: (ts, change, state, severity, value).
    public func alertEvents(alertID: Int64) throws -> [(ts: Int64, change: String, state: String, severity: String?, value: Double?)] {
        try read { db throws(StoreError) in
            let s = try db.statement("SELECT ts, change, state, severity, value FROM alert_events WHERE alert_id = ? ORDER BY id LIMIT 1000")
            s.bind(1, alertID)
            var out: [(ts: Int64, change: String, state: String, severity: String?, value: Double?)] = []
            while try s.step() { out.append((s.int64(0), s.string(1) ?? "", s.string(2) ?? "", s.string(3), s.optionalDouble(4))) }
            s.reset()
            return out
        }
    }

    // MARK: outbox

    static let notificationColumns = """
        id, alert_id, fingerprint, kind, target, status, payload, created_ts, state, attempts, next_ts, last_status, last_error, done_ts
        """

    static func notification(from s: SQLiteStatement) -> NotificationRow {
        NotificationRow(id: s.int64(0), alertID: s.int64(1), fingerprint: s.string(2) ?? "", kind: s.string(3) ?? "",
                        target: s.string(4) ?? "", status: s.string(5) ?? "", payload: s.blob(6), createdMs: s.int64(7),
                        state: s.string(8) ?? "", attempts: Int(s.int64(9)), nextMs: s.int64(10),
                        lastStatus: s.optionalInt64(11).map { Int($0) }, lastError: s.string(12), doneMs: s.optionalInt64(13))
    }

    /// Pending deliveries in the order they were queued (due or not: order per alert and
    /// target is kept by the caller, which skips what follows a delivery not yet due).
    public func pendingNotifications(limit: Int) throws -> [NotificationRow] {
        try read { db throws(StoreError) in
            let s = try db.statement("SELECT \(Self.notificationColumns) FROM notifications WHERE state = 'pending' ORDER BY id LIMIT ?")
            s.bind(1, Int64(limit))
            var out: [NotificationRow] = []
            while try s.step() { out.append(Self.notification(from: s)) }
            s.reset()
            return out
        }
    }

    public func notifications(state: String?, limit: Int, offset: Int) throws -> (rows: [NotificationRow], total: Int) {
        try read { db throws(StoreError) in
            let cond = state == nil ? "1" : "state = ?1"
            let c = try db.statement("SELECT COUNT(*) FROM notifications WHERE \(cond)")
            if let state { c.bind(1, state) }
            let total = try c.step() ? Int(c.int64(0)) : 0
            c.reset()
            let s = try db.statement("SELECT \(Self.notificationColumns) FROM notifications WHERE \(cond) ORDER BY id DESC LIMIT ?2 OFFSET ?3")
            if let state { s.bind(1, state) }
            s.bind(2, Int64(limit)); s.bind(3, Int64(offset))
            var out: [NotificationRow] = []
            while try s.step() { out.append(Self.notification(from: s)) }
            s.reset()
            return (out, total)
        }
    }

    /// The outcome of one attempt: a new state (or still pending with the next try's time).
    public func updateNotification(id: Int64, state: String, attempts: Int, nextMs: Int64, lastStatus: Int?, lastError: String?,
                                   doneMs: Int64?) throws {
        try write { db throws(StoreError) in
            let s = try db.statement("""
                UPDATE notifications SET state = ?, attempts = ?, next_ts = ?, last_status = ?, last_error = ?, done_ts = ? WHERE id = ?
                """)
            s.bind(1, state); s.bind(2, Int64(attempts)); s.bind(3, nextMs)
            if let v = lastStatus { s.bind(4, Int64(v)) }
            s.bind(5, lastError)
            if let v = doneMs { s.bind(6, v) }
            s.bind(7, id)
            try s.run()
        }
    }

    /// Deletes finished deliveries and resolved alerts older than `beforeMs` (retention).
    public func pruneAlerts(beforeMs: Int64) throws {
        try write { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                let n = try db.statement("DELETE FROM notifications WHERE state <> 'pending' AND COALESCE(done_ts, created_ts) < ?")
                n.bind(1, beforeMs); try n.run()
                let e = try db.statement("DELETE FROM alert_events WHERE alert_id IN (SELECT id FROM alerts WHERE state IN ('resolved','inactive') AND updated_ts < ?)")
                e.bind(1, beforeMs); try e.run()
                let a = try db.statement("DELETE FROM alerts WHERE state IN ('resolved','inactive') AND updated_ts < ?")
                a.bind(1, beforeMs); try a.run()
            }
        }
    }
}
