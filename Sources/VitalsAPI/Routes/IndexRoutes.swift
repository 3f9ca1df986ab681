import VitalsSupport
import VitalsTransport

/// `GET /api/v1` (what this server offers, so curl finds its way) and
/// `GET /api/v1/openapi.json`. Both are documents built from the finished route
/// table, so a route registered after these still appears in them.
struct IndexRoutes: RouteProvider {
    let version: String
    let readsNeedToken: Bool

    /// The index document: every route with its method and whether it needs the admin token.
    static func index(_ specs: [RouteSpec], version: String) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.field("name", "vitals")
        w.field("version", version)
        w.key("routes"); w.beginArray()
        for s in specs {
            w.beginObject()
            w.field("method", s.method)
            w.field("path", s.path)
            w.field("auth", Self.authName(s.access))
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// What the index says a route needs: "none" for the dashboard's files.
    static func authName(_ access: RouteAccess) -> String {
        switch access {
        case .read: "read"
        case .admin: "admin"
        case .job: "job"
        case .anyone: "none"
        }
    }

    func register(in routes: inout RouteTable) {
        let version = self.version
        // `/` is DashboardRoutes': the page for a browser, this same index for anyone else.
        routes.add(.get("/api/v1", tag: "meta", "The route index").responds(200, "every route", json: ResponseSchemas.index),
                   .document { specs in Self.index(specs, version: version) })
        let readsNeedToken = self.readsNeedToken
        routes.add(.get("/api/v1/openapi.json", tag: "meta", "This API as an OpenAPI 3.1 document")
            .responds(200, "the OpenAPI document", json: ResponseSchemas.openAPI),
                   .document { specs in OpenAPIDocument.build(specs, version: version, readsNeedToken: readsNeedToken) })
    }
}
