import VitalsSupport
import VitalsTransport

/// `GET /`, `GET /api/v1` (what this server offers, so curl and a browser find their way)
/// and `GET /api/v1/openapi.json`. All three are documents built from the finished route
/// table, so a route registered after these still appears in them.
struct IndexRoutes: RouteProvider {
    let version: String
    let readsNeedToken: Bool

    func register(in routes: inout RouteTable) {
        let version = self.version
        let index: @Sendable ([RouteSpec]) -> [UInt8] = { specs in
            var w = JSONWriter()
            w.beginObject()
            w.field("name", "vitals")
            w.field("version", version)
            w.key("routes"); w.beginArray()
            for s in specs {
                w.beginObject()
                w.field("method", s.method)
                w.field("path", s.path)
                w.field("auth", s.access == .admin ? "admin" : s.access == .job ? "job" : "read")
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return w.bytes
        }
        // `/` answers the index until the dashboard takes it for browsers.
        routes.add(.get("/", tag: "meta", "The route index").responds(200, "every route", json: ResponseSchemas.index), .document(index))
        routes.add(.get("/api/v1", tag: "meta", "The route index").responds(200, "every route", json: ResponseSchemas.index), .document(index))
        let readsNeedToken = self.readsNeedToken
        routes.add(.get("/api/v1/openapi.json", tag: "meta", "This API as an OpenAPI 3.1 document")
            .responds(200, "the OpenAPI document", json: ResponseSchemas.openAPI),
                   .document { specs in OpenAPIDocument.build(specs, version: version, readsNeedToken: readsNeedToken) })
    }
}
