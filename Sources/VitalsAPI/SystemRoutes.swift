import VitalsSupport
import VitalsTransport
import VitalsCore
/// `/api/v1/system/...`: live stats, history, saved samples and health.
extension VitalsApp {
    func addSystemRoutes(_ r: inout Router) {
        r.add("GET", "/api/v1/system/stats", .inline { [self] _ in
            guard let latest = sampler.latest.value else { return Self.noSampleYet }
            return .json(latest.json)
        })

        r.add("GET", "/api/v1/system/stats/history", .worker { [self] req in
            switch HistoryRequest.parse(req.query, nowMs: time.wallMs(), validMetrics: validHistoryMetrics) {
            case .failure(let resp):
                return resp
            case .success(let q):
                guard let store else { return historyUnavailable }
                do {
                    let result = try store.query(q)
                    return .json(HistoryRequest.encode(result, query: q))
                } catch {
                    return .error(500, "history_query_failed", "\(error)")
                }
            }
        })

        r.add("POST", "/api/v1/system/stats/save", access: .admin, .worker { [self] req in
            var label: String? = nil
            if !req.body.isEmpty {
                guard let doc = try? JSONValue.parse(req.body), let obj = doc.objectValue else {
                    return .error(400, "invalid_body", "body must be a JSON object like {\"label\": \"before upgrade\"} (or empty)")
                }
                if let extra = obj.keys.first(where: { $0 != "label" }) {
                    return .error(400, "invalid_body", "unknown field \(extra); only label is accepted")
                }
                if let l = obj["label"] {
                    guard let s = l.stringValue, s.count <= 200 else {
                        return .error(400, "invalid_body", "label must be a string of at most 200 characters")
                    }
                    label = s
                }
            }
            guard let latest = sampler.latest.value else { return Self.noSampleYet }
            guard let store else { return historyUnavailable }
            do {
                let id = try store.saveSnapshot(ts: latest.snapshot.ts, json: latest.json, label: label)
                return .json(status: 201) { w in
                    w.beginObject()
                    w.field("id", id)
                    w.field("ts", latest.snapshot.ts)
                    w.field("timestamp", TimeFormat.iso8601(ms: latest.snapshot.ts))
                    w.field("label", label)
                    w.endObject()
                }
            } catch {
                return .error(507, "save_failed", "could not store the snapshot: \(error)")
            }
        })

        r.add("GET", "/api/v1/system/health", .inline { [self] _ in
            .json(HealthReport.encode(HealthInputs(
                nowMs: time.wallMs(), startedMs: startedMs, sampler: sampler.health, store: store?.health,
                storeOpenError: storeOpenError, snapshot: sampler.latest.value?.snapshot,
                rssBytes: currentRSSBytes(), version: VitalsApp.version)))
        })
    }

    /// Metric names valid for history: host series plus every GPU index seen since start.
    var validHistoryMetrics: [String] {
        MetricTable.historyNames(gpuCount: gpuCountSeen.current)
    }
}
