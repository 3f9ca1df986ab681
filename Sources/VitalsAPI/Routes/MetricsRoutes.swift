import VitalsSupport
import VitalsTransport
import VitalsCore
import VitalsDashboard

/// `GET /metrics`: Prometheus text 0.0.4, or OpenMetrics 1.0 when the scraper's Accept asks
/// for it. Answered on the I/O thread from bytes rendered at most once per tick and format
/// (`MetricsCache`). A read route: open on a loopback bind, a read token elsewhere
/// (Prometheus sends it with `authorization: credentials`).
///
/// With `Accept-Encoding: gzip` (Prometheus always sends it) the body is the gzip of those
/// bytes, also made once per tick: a fifth of the bytes to move per scrape.
struct MetricsRoutes: RouteProvider {
    let metrics: MetricsCache

    /// The answer varies with both; built once, not per request.
    static let identityHeaders = [("Vary", "Accept, Accept-Encoding")]
    static let gzipHeaders = [("Content-Encoding", "gzip"), ("Vary", "Accept, Accept-Encoding")]

    static let spec = RouteSpec.get("/metrics", tag: "metrics", "Prometheus text exposition (OpenMetrics 1.0 on request; gzip when accepted)")
        .responds(200, "every series of the metric table and the daemon's own figures",
                  contentType: ExpositionFormat.prometheus.contentType)
        .fails(503, "no sample taken yet", .noSampleYet)

    /// Prometheus sends exactly `Accept-Encoding: gzip`: that one is recognised without
    /// building and splitting the list; anything else goes through the full parse.
    static func acceptsGzip(_ request: HTTPRequest) -> Bool {
        var value: String?, count = 0
        for h in request.headers where h.name == "accept-encoding" { value = h.value; count += 1 }
        guard count > 0 else { return false }
        if count == 1 && value == "gzip" { return true }
        return StaticAssets.acceptsGzip(request.headerList("accept-encoding"))
    }

    func register(in routes: inout RouteTable) {
        let metrics = self.metrics
        routes.add(Self.spec, .inline { input in
            let format = ExpositionFormat.negotiate(accept: input.request.header("accept"))
            if Self.acceptsGzip(input.request), let packed = metrics.gzipBytes(format) {
                return HTTPResponse(status: 200, contentType: format.contentType, headers: Self.gzipHeaders, body: packed)
            }
            guard let body = metrics.bytes(format) else { return CommonResponses.noSampleYet }
            return HTTPResponse(status: 200, contentType: format.contentType, headers: Self.identityHeaders, body: body)
        })
    }
}
