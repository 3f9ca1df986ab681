import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET /metrics`: Prometheus text 0.0.4, or OpenMetrics 1.0 when the scraper's Accept asks
/// for it. Answered on the I/O thread from bytes rendered at most once per tick and format
/// (`MetricsCache`). A read route: open on a loopback bind, a read token elsewhere
/// (Prometheus sends it with `authorization: credentials`).
struct MetricsRoutes: RouteProvider {
    let metrics: MetricsCache

    static let spec = RouteSpec.get("/metrics", tag: "metrics", "Prometheus text exposition (OpenMetrics 1.0 on request)")
        .responds(200, "every series of the metric table and the daemon's own figures",
                  contentType: ExpositionFormat.prometheus.contentType)
        .fails(503, "no sample taken yet", .noSampleYet)

    func register(in routes: inout RouteTable) {
        let metrics = self.metrics
        routes.add(Self.spec, .inline { input in
            let format = ExpositionFormat.negotiate(accept: input.request.header("accept"))
            guard let body = metrics.bytes(format) else { return CommonResponses.noSampleYet }
            return HTTPResponse(status: 200, contentType: format.contentType, body: body)
        })
    }
}
