import VitalsSupport
import VitalsTransport
import VitalsCore
/// `GET /` and `GET /api/v1`: what this server offers, so curl and a browser find their way.
extension VitalsApp {
    func addIndexRoutes(_ r: inout Router) {
        let routes = r.all.map { ($0.method, $0.pattern, $0.access) }
        let body: [UInt8] = {
            var w = JSONWriter()
            w.beginObject()
            w.field("name", "vitals")
            w.field("version", VitalsApp.version)
            w.key("routes"); w.beginArray()
            for (m, p, a) in routes {
                w.beginObject()
                w.field("method", m)
                w.field("path", p)
                w.field("auth", a == .admin ? "admin" : "read")
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return w.bytes
        }()
        r.add("GET", "/", .inline { _ in .json(body) })
        r.add("GET", "/api/v1", .inline { _ in .json(body) })
    }
}
