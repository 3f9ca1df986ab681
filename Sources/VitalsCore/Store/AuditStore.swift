import VitalsSupport

/// One admin action or refusal: when, which token (a fingerprint, never the secret), from
/// where, which route, the answer's status, and the state before and after (JSON, when known).
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64 = 0
    public var ts: Int64
    public var who: String
    public var remote: String
    public var method: String
    public var route: String
    public var status: Int
    public var before: [UInt8]?
    public var after: [UInt8]?
    public init(ts: Int64, who: String, remote: String, method: String, route: String, status: Int, before: [UInt8]?, after: [UInt8]?) {
        self.ts = ts; self.who = who; self.remote = remote; self.method = method; self.route = route; self.status = status
        self.before = before; self.after = after
    }
}

public struct AuditQuery: Sendable {
    public var fromMs: Int64?
    public var toMs: Int64?
    public var who: String?
    public var route: String?
    public var limit = 100
    public var offset = 0
    public init() {}
}

/// The audit table: insert, read with filters, delete past retention. Nothing else.
extension HistoryStore {
    public func insertAudit(_ entries: [AuditEntry]) throws {
        guard !entries.isEmpty else { return }
        try write { db throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                let s = try db.statement("INSERT INTO audit (ts, who, remote, method, route, status, before, after) VALUES (?,?,?,?,?,?,?,?)")
                for e in entries {
                    s.reset()
                    s.bind(1, e.ts); s.bind(2, e.who); s.bind(3, e.remote); s.bind(4, e.method); s.bind(5, e.route)
                    s.bind(6, Int64(e.status))
                    if let b = e.before { s.bind(7, blob: b) }
                    if let a = e.after { s.bind(8, blob: a) }
                    try s.run()
                }
            }
        }
    }

    public func audit(_ q: AuditQuery) throws -> (entries: [AuditEntry], total: Int) {
        try read { db throws(StoreError) in
            var conds = ["1"]
            if q.fromMs != nil { conds.append("ts >= ?1") }
            if q.toMs != nil { conds.append("ts <= ?2") }
            if q.who != nil { conds.append("who = ?3") }
            if q.route != nil { conds.append("route = ?4") }
            let w = conds.joined(separator: " AND ")
            func bind(_ s: SQLiteStatement) {
                if let v = q.fromMs { s.bind(1, v) }
                if let v = q.toMs { s.bind(2, v) }
                if let v = q.who { s.bind(3, v) }
                if let v = q.route { s.bind(4, v) }
            }
            let c = try db.statement("SELECT COUNT(*) FROM audit WHERE \(w)")
            bind(c)
            let total = try c.step() ? Int(c.int64(0)) : 0
            c.reset()
            let s = try db.statement("SELECT id, ts, who, remote, method, route, status, before, after FROM audit WHERE \(w) ORDER BY id DESC LIMIT ?5 OFFSET ?6")
            bind(s)
            s.bind(5, Int64(q.limit)); s.bind(6, Int64(q.offset))
            var out: [AuditEntry] = []
            while try s.step() {
                var e = AuditEntry(ts: s.int64(1), who: s.string(2) ?? "", remote: s.string(3) ?? "", method: s.string(4) ?? "",
                                   route: s.string(5) ?? "", status: Int(s.int64(6)),
                                   before: s.isNull(7) ? nil : s.blob(7), after: s.isNull(8) ? nil : s.blob(8))
                e.id = s.int64(0)
                out.append(e)
            }
            s.reset()
            return (out, total)
        }
    }

    public func pruneAudit(beforeMs: Int64) throws {
        try write { db throws(StoreError) in
            let s = try db.statement("DELETE FROM audit WHERE ts < ?")
            s.bind(1, beforeMs)
            try s.run()
        }
    }
}
