import VitalsSupport
import VitalsTransport
@testable import VitalsAPI

/// The schema validator, through the real route declarations: the input's first line is a
/// query string, the rest a request body, and every route below validates it as its
/// request; the body, when it is JSON, is also checked against the response schemas
/// (objects, maps, arrays, anyOf, nullables). Oracle: the history route's accepted
/// queries keep their promises (a window that ends after it starts, 1...1000 points, known
/// series only).
enum SchemaFuzz {
    static let specs: [RouteSpec] = [
        HistoryRoutes.historySpec, HistoryRoutes.saveSpec, ProcessRoutes.spec,
        SavedSnapshotRoutes.listSpec, SavedSnapshotRoutes.oneSpec, MetricsRoutes.spec,
    ]
    static let responseSchemas: [Schema] = [
        ResponseSchemas.error, ResponseSchemas.health, ResponseSchemas.history, ResponseSchemas.savedList,
        ResponseSchemas.processes, ResponseSchemas.webSocketStats, SnapshotSchema.snapshot,
    ]
    static let metrics = ["cpu.percent", "memory.percent", "gpu.0.utilization"]
    static let nowMs: Int64 = 1_790_000_000_000

    static let routes = FuzzTarget(name: "schema") { input in
        let bytes = Array(input)
        let newline = bytes.firstIndex(of: 10) ?? bytes.count
        let rawQuery = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
        var req = HTTPRequest(method: "GET", path: "/", rawQuery: rawQuery, body: body)
        req.pathParams = ["id": req.query["id"] ?? ""]

        for spec in specs {
            guard case .success(let validated) = RequestValidator.validate(spec, req) else { continue }
            if spec.path == HistoryRoutes.historySpec.path { checkHistory(validated) }
        }
        if let doc = try? JSONValue.parse(body) {
            for s in responseSchemas { _ = try? SchemaValidator.validate(doc, s, at: "body") }
        }
    }

    static func checkHistory(_ input: ValidatedInput) {
        guard case .success(let q) = HistoryRequest.parse(input, nowMs: nowMs, validMetrics: metrics) else { return }
        if !(1...HistoryRequest.maxPoints).contains(q.points) { FuzzTarget.fail("history query with \(q.points) points") }
        if q.from >= q.to { FuzzTarget.fail("history window from \(q.from) to \(q.to) for ?\(input.request.rawQuery)") }
        if let unknown = q.metrics.first(where: { !metrics.contains($0) }) { FuzzTarget.fail("history query accepted series \(unknown)") }
    }
}
