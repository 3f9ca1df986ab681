import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET /api/v1/audit`: the admin actions and refusals, newest first (admin only).
struct AuditRoutes: RouteProvider {
    let log: AuditLog
    let history: HistoryAccess

    static let entry = Schema.object([
        "id": SnapshotSchema.int, "at": SnapshotSchema.time, "ts": SnapshotSchema.int, "who": SnapshotSchema.str,
        "remote": SnapshotSchema.str, "method": SnapshotSchema.str, "route": SnapshotSchema.str, "status": SnapshotSchema.int,
        "before": Schema.anything, "after": Schema.anything,
    ])

    static let spec = RouteSpec("GET", "/api/v1/audit", access: .admin, tag: "audit",
                                summary: "The audit log: admin actions and refusals on admin routes, newest first")
        .query("from", Schema.string(minLength: 1, maxLength: 40).described(HistoryRequest.timeText))
        .query("to", Schema.string(minLength: 1, maxLength: 40).described(HistoryRequest.timeText))
        .query("who", Schema.string(minLength: 1, maxLength: 64).described("admin:1a2b3c4d, as the entries show it"))
        .query("route", Schema.string(minLength: 1, maxLength: 200).described("a request path, e.g. /api/v1/system/constraints"))
        .query("limit", Schema.integer(1...1000).defaulting(.number(100)))
        .query("offset", Schema.integer(0...1_000_000).defaulting(.number(0)))
        .responds(200, "one page of entries and the total", json: Schema.object([
            "entries": .array(entry), "total": SnapshotSchema.int, "limit": SnapshotSchema.int, "offset": SnapshotSchema.int,
        ]))
        .fails(422, "a parameter is not accepted", .invalidParameter)
        .historyUnavailable()
        .historyQueryFailed()

    func register(in routes: inout RouteTable) {
        let log = self.log, history = self.history
        routes.add(Self.spec, .worker { input in
            guard history.store != nil else { return history.unavailable }
            var q = AuditQuery()
            for (name, path) in [("from", \AuditQuery.fromMs), ("to", \.toMs)] as [(String, WritableKeyPath<AuditQuery, Int64?>)] {
                guard let s = input.string(name) else { continue }
                guard let ms = HistoryRequest.parseTime(s) else {
                    return RequestValidator.unprocessable(ValidationIssue(field: "query.\(name)", value: .string(s), allowed: HistoryRequest.timeText,
                                                                          message: "\(name)=\(s) must be \(HistoryRequest.timeText)"))
                }
                q[keyPath: path] = ms
            }
            q.who = input.string("who"); q.route = input.string("route")
            q.limit = input.int("limit") ?? 100; q.offset = input.int("offset") ?? 0
            do {
                let (rows, total) = try log.query(q)
                return .json { w in
                    w.beginObject()
                    w.key("entries"); w.beginArray()
                    for e in rows {
                        w.beginObject()
                        w.field("id", e.id); w.field("at", TimeFormat.iso8601(ms: e.ts)); w.field("ts", e.ts)
                        w.field("who", e.who); w.field("remote", e.remote); w.field("method", e.method)
                        w.field("route", e.route); w.field("status", e.status)
                        for (k, v) in [("before", e.before), ("after", e.after)] {
                            w.key(k)
                            // Stored as the JSON it was; anything else is shown as text.
                            if let v, (try? JSONValue.parse(v)) != nil { w.raw(v) } else { w.string(v.map { String(decoding: $0, as: UTF8.self) }) }
                        }
                        w.endObject()
                    }
                    w.endArray()
                    w.field("total", total); w.field("limit", q.limit); w.field("offset", q.offset)
                    w.endObject()
                }
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })
    }
}
