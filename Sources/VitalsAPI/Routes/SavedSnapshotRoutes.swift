import VitalsSupport
import VitalsTransport
import VitalsCore

/// Reading back what `POST /api/v1/system/stats/save` stored: a list, and one sample whole.
struct SavedSnapshotRoutes: RouteProvider {
    let history: HistoryAccess

    static let listSpec = RouteSpec.get("/api/v1/system/stats/saved", tag: "history", "Saved samples, newest first")
        .query("limit", Schema.integer(1...1000).defaulting(.number(100)).described("how many to list"))
        .responds(200, "the saved samples", json: ResponseSchemas.savedList)
        .historyUnavailable()
        .historyQueryFailed()

    static let oneSpec = RouteSpec.get("/api/v1/system/stats/saved/{id}", tag: "history", "One saved sample, whole")
        .path("id", Schema.integer(1...Int64.max).described("the id POST .../save answered"))
        .responds(200, "the snapshot as it was saved", json: SnapshotSchema.snapshot)
        .fails(404, "no saved sample has this id", .notFound)
        .historyUnavailable()
        .historyQueryFailed()

    func register(in routes: inout RouteTable) {
        let history = self.history
        routes.add(Self.listSpec, .worker { input in
            guard let store = history.store else { return history.unavailable }
            do {
                let rows = try store.savedSnapshots(limit: input.int("limit") ?? 100)
                return .json { w in
                    w.beginObject()
                    w.key("saved"); w.beginArray()
                    for s in rows {
                        w.beginObject()
                        w.field("id", s.id)
                        w.field("ts", s.ts)
                        w.field("timestamp", TimeFormat.iso8601(ms: s.ts))
                        w.field("label", s.label)
                        w.endObject()
                    }
                    w.endArray()
                    w.endObject()
                }
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })

        routes.add(Self.oneSpec, .worker { input in
            // Declared required and ≥ 1, so always present here.
            let id = input.int64("id") ?? 0
            guard let store = history.store else { return history.unavailable }
            do {
                guard let json = try store.savedSnapshotJSON(id: id) else {
                    return .error(404, .notFound, "no saved sample with id \(id)")
                }
                return .json(json)
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })
    }
}
