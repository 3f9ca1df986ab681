import VitalsSupport
import VitalsTransport
import VitalsDashboard

/// The dashboard: `GET /` answers its page to a browser (an `Accept` that names
/// `text/html`) and the route index to anyone else (curl, scripts, schemathesis), and
/// `GET /ui/{file}` its scripts and styles. The files are embedded at build time
/// (VitalsDashboard, the EmbedAssets plugin), so the binary serves them with no files on disk.
///
/// The files carry no data, so they are served without a token even where reads need one:
/// a browser cannot send a header when it loads a page or its scripts, and the page itself
/// asks for the token on the API's first 401. The index on `/` is a read like `/api/v1`,
/// so `authorizeRead` checks it as the server would have.
struct DashboardRoutes: RouteProvider {
    let assets: StaticAssets
    let version: String
    /// The server's own check for a read route (tokens and rate limits); nil when allowed.
    let authorizeRead: @Sendable (HTTPRequest) -> HTTPResponse?

    static let page = "index.html"

    /// Content types of the files under /ui/, for the OpenAPI document.
    var uiContentTypes: [String] {
        var seen = Set<String>()
        return assets.names.filter { $0 != Self.page }.compactMap { assets.byName[$0]?.contentType }
            .map { String($0.prefix { $0 != ";" }) }.filter { seen.insert($0).inserted }
    }

    func register(in routes: inout RouteTable) {
        let assets = self.assets, version = self.version, authorizeRead = self.authorizeRead
        routes.add(.get("/", tag: "meta", "The dashboard page for a browser (Accept: text/html), with no token; the route index otherwise, a read")
            .openToAnyone()
            .responds(200, "the route index as JSON, or the dashboard's HTML when Accept names text/html",
                      json: ResponseSchemas.index, contentTypes: ["text/html"])
            .responds(304, "the page has not changed since the ETag in If-None-Match")
            .fails(401, "the route index asked for with no valid token where reads need one (the page never needs one)", .unauthorized),
                   .built { specs in
            let index = IndexRoutes.index(specs, version: version)
            return { input in
                if Self.wantsHTML(input.request.headerList("accept")),
                   let page = assets.response(Self.page, for: input.request, vary: ["Accept"]) {
                    return page
                }
                if let refusal = authorizeRead(input.request) { return refusal }
                return HTTPResponse(status: 200, contentType: "application/json", headers: [("Vary", "Accept")], body: index)
            }
        })
        let files = assets.names.filter { $0 != Self.page }
        routes.add(.get("/ui/{file}", tag: "meta", "A file of the dashboard (script, style sheet), gzip when accepted; no token needed")
            .openToAnyone()
            .path("file", Schema.oneOf(files).described("the file's name"))
            .responds(200, "the file", contentTypes: uiContentTypes)
            .responds(304, "the file has not changed since the ETag in If-None-Match"),
                   .inline { input in
            // The schema admitted only embedded names.
            assets.response(input.string("file") ?? "", for: input.request)
                ?? .error(404, .notFound, "no such dashboard file")
        })
    }

    /// A browser navigating asks for `text/html` first; `fetch()` and curl send `*/*`.
    static func wantsHTML(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.filter { $0 != " " && $0 != "\t" }.lowercased() }
            let type = parts[0]
            let refused = parts.dropFirst().contains { $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000" }
            return (type == "text/html" || type == "application/xhtml+xml") && !refused
        }
    }
}
