import VitalsSupport

/// The activity table: inserts on the writer queue, reads on a reader connection.
extension HistoryStore {
    func insertActivity(_ e: ActivityEntry) {
        var w = JSONWriter(capacity: 64)
        ActivityEntry.writeLabels(e.labels, &w)
        let labels = w.bytes
        enqueueWrite("activity") { db throws(StoreError) in
            let s = try db.statement("INSERT OR REPLACE INTO activity (id, ts, kind, message, labels) VALUES (?1, ?2, ?3, ?4, ?5)")
            s.bind(1, e.id); s.bind(2, e.ts); s.bind(3, e.kind); s.bind(4, e.message); s.bind(5, blob: labels)
            try s.run()
        }
    }

    func pruneActivity(olderThan ts: Int64) {
        enqueueWrite("activity retention") { db throws(StoreError) in
            let s = try db.statement("DELETE FROM activity WHERE ts < ?1")
            s.bind(1, ts)
            try s.run()
        }
    }

    func maxActivityID() throws -> Int64? {
        try read { db throws(StoreError) in
            let s = try db.statement("SELECT max(id) FROM activity")
            defer { s.reset() }
            return try s.step() ? s.optionalInt64(0) : nil
        }
    }

    func activity(limit: Int, before: Int64?, kind: String?) throws -> [ActivityEntry] {
        try read { db throws(StoreError) in
            let s = try db.statement("SELECT id, ts, kind, message, labels FROM activity WHERE id < ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY id DESC LIMIT ?3")
            defer { s.reset() }
            s.bind(1, before ?? Int64.max)
            s.bind(2, kind)
            s.bind(3, Int64(limit))
            var out: [ActivityEntry] = []
            while try s.step() {
                var labels: [String: String] = [:]
                if let obj = try? JSONValue.parse(s.blob(4)).objectValue {
                    for (k, v) in obj { if let str = v.stringValue { labels[k] = str } }
                }
                out.append(ActivityEntry(id: s.int64(0), ts: s.int64(1), kind: s.string(2) ?? "", message: s.string(3) ?? "", labels: labels))
            }
            return out
        }
    }
}
