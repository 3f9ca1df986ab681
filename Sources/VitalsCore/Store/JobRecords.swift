import VitalsSupport

/// The jobs table: each change replaces the job's document (queued on the writer, in the
/// order the scheduler made them); lists and start-up read it back.
extension HistoryStore {
    func saveJob(id: Int64, state: String, createdMs: Int64, endedMs: Int64?, json: [UInt8]) {
        enqueueWrite("job \(id)") { db throws(StoreError) in
            let s = try db.statement("INSERT OR REPLACE INTO jobs (id, state, created_ts, ended_ts, json) VALUES (?1, ?2, ?3, ?4, ?5)")
            s.bind(1, id); s.bind(2, state); s.bind(3, createdMs)
            if let endedMs { s.bind(4, endedMs) } else { s.bind(4, nil as String?) }
            s.bind(5, blob: json)
            try s.run()
        }
    }

    func pruneJobs(endedBefore ts: Int64) {
        enqueueWrite("job retention") { db throws(StoreError) in
            let s = try db.statement("DELETE FROM jobs WHERE ended_ts IS NOT NULL AND ended_ts < ?1")
            s.bind(1, ts)
            try s.run()
        }
    }

    func maxJobID() throws -> Int64? {
        try read { db throws(StoreError) in
            let s = try db.statement("SELECT max(id) FROM jobs")
            defer { s.reset() }
            return try s.step() ? s.optionalInt64(0) : nil
        }
    }

    /// Documents, newest first: `states` filters (empty: all), `before` an id pages back.
    func jobDocuments(states: [String], limit: Int, before: Int64?) throws -> [[UInt8]] {
        try read { db throws(StoreError) in
            let list = states.isEmpty ? "" : " AND state IN (" + states.map { "'\($0)'" }.joined(separator: ",") + ")"
            let s = try db.statement("SELECT json FROM jobs WHERE id < ?1\(list) ORDER BY id DESC LIMIT ?2")
            defer { s.reset() }
            s.bind(1, before ?? Int64.max)
            s.bind(2, Int64(limit))
            var out: [[UInt8]] = []
            while try s.step() { out.append(s.blob(0)) }
            return out
        }
    }

    func jobDocument(id: Int64) throws -> [UInt8]? {
        try read { db throws(StoreError) in
            let s = try db.statement("SELECT json FROM jobs WHERE id = ?1")
            defer { s.reset() }
            s.bind(1, id)
            return try s.step() ? s.blob(0) : nil
        }
    }
}
