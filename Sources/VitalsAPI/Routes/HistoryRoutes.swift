import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET /api/v1/system/stats/history` and `POST /api/v1/system/stats/save`: what the
/// history database holds, and keeping the current snapshot there under a label.
struct HistoryRoutes: RouteProvider {
    let sampler: Sampler
    let history: HistoryAccess
    let time: any TimeSource
    /// Series names valid now: host series plus every GPU seen since start.
    let validMetrics: @Sendable () -> [String]

    static let historySpec = HistoryRequest.declare(
        .get("/api/v1/system/stats/history", tag: "history", "Averaged, min and max series over a time window"))
        .responds(200, "one series of buckets per metric", json: ResponseSchemas.history)
        .fails(422, "a parameter is not accepted, the parameters conflict, or a metric is unknown",
               .invalidParameter, .unknownMetric)
        .historyUnavailable()
        .historyQueryFailed()

    static let saveSpec = RouteSpec.post("/api/v1/system/stats/save", tag: "history", "Keep the current snapshot, with an optional label")
        .body(.object([:], optional: ["label": Schema.string(maxLength: 200).described("what this sample is, e.g. before upgrade")]),
              required: false, example: #"{"label": "before upgrade"}"#)
        .responds(201, "the sample was kept", json: ResponseSchemas.savedSample)
        .fails(503, "no sample taken yet, or the history database is not open", .noSampleYet, .historyUnavailable)
        .fails(507, "the database could not store the sample (disk full, read-only)", .saveFailed)

    func register(in routes: inout RouteTable) {
        let history = self.history, time = self.time, validMetrics = self.validMetrics, sampler = self.sampler
        routes.add(Self.historySpec, .worker { input in
            switch HistoryRequest.parse(input, nowMs: time.wallMs(), validMetrics: validMetrics()) {
            case .failure(let resp):
                return resp
            case .success(let q):
                guard let store = history.store else { return history.unavailable }
                do {
                    return .json(HistoryRequest.encode(try store.query(q), query: q))
                } catch {
                    return .error(500, .historyQueryFailed, "\(error)")
                }
            }
        })

        routes.add(Self.saveSpec, .worker { input in
            // The schema allowed only {"label": string ≤ 200} or an empty body.
            let label = input.body?["label"]?.stringValue
            guard let latest = sampler.latest.value else { return CommonResponses.noSampleYet }
            guard let store = history.store else { return history.unavailable }
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
                return .error(507, .saveFailed, "could not store the snapshot: \(error)")
            }
        })
    }
}
