import VitalsSupport
import VitalsTransport
import VitalsCore
/// Reading back what `POST /api/v1/system/stats/save` stored: a list, and one sample whole.
extension VitalsApp {
    func addSavedSnapshotRoutes(_ r: inout Router) {
        r.add("GET", "/api/v1/system/stats/saved", .worker { [self] req in
            guard let store else { return historyUnavailable }
            let limit: Int
            do throws(InvalidParameter) { limit = try intParameter(req.query, "limit", in: 1...1000, default: 100) } catch { return error.response }
            do {
                let rows = try store.savedSnapshots(limit: limit)
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
                return .error(500, "history_query_failed", "\(error)")
            }
        })

        r.add("GET", "/api/v1/system/stats/saved/{id}", .worker { [self] req in
            guard let raw = req.pathParams["id"], let id = Int64(raw), id > 0 else {
                return .error(400, "invalid_parameter", "id must be a positive integer")
            }
            guard let store else { return historyUnavailable }
            do {
                guard let json = try store.savedSnapshotJSON(id: id) else {
                    return .error(404, "not_found", "no saved sample with id \(id)")
                }
                return .json(json)
            } catch {
                return .error(500, "history_query_failed", "\(error)")
            }
        })
    }
}
