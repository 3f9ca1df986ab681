import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET/POST /api/v1/activity`: the machine's story, newest first; the application adds
/// its own events beside the daemon's.
struct ActivityRoutes: RouteProvider {
    let activity: ActivityLog

    static let listSpec = RouteSpec.get("/api/v1/activity", tag: "activity", "The activity feed, newest first")
        .query("limit", Schema.integer(1...1000).defaulting(.number(100)))
        .query("before", Schema.integer(1...Int64.max).described("page back: entries with a smaller id (next_before of the previous page)"))
        .query("kind", Schema.string(minLength: 1, maxLength: 64).described("only entries of this kind (job_admitted, constraints_updated, ...)"))
        .responds(200, "the entries", json: JobSchemas.activityList)
        .fails(500, "the database could not be read", .historyQueryFailed)

    static let postSpec = RouteSpec("POST", "/api/v1/activity", access: .job, tag: "activity",
                                    summary: "Add an event of the application's own (\"model deployed\") to the feed")
        .body(JobSchemas.activityBody, required: true, example: #"{"kind": "model_deployed", "message": "sdxl-turbo v2 deployed"}"#)
        .responds(201, "the stored entry", json: JobSchemas.activityEntry)

    func register(in routes: inout RouteTable) {
        let activity = self.activity
        routes.add(Self.listSpec, .worker { input in
            let limit = input.int("limit") ?? 100
            do {
                let list = try activity.list(limit: limit, before: input.int64("before"), kind: input.string("kind"))
                return .json { w in
                    w.beginObject()
                    w.key("activity"); w.beginArray(); for e in list { e.write(&w) }; w.endArray()
                    w.field("next_before", list.count == limit ? list.last?.id : nil)
                    w.endObject()
                }
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })
        routes.add(Self.postSpec, .inline { input in
            let b = input.body?.objectValue ?? [:]
            var labels: [String: String] = [:]
            for (k, v) in b["labels"]?.objectValue ?? [:] { if let s = v.stringValue { labels[k] = s } }
            let e = activity.record(kind: b["kind"]?.stringValue ?? "event", message: b["message"]?.stringValue ?? "", labels: labels)
            return .json(e.json, status: 201)
        })
    }
}
