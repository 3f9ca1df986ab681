import VitalsSupport
import VitalsTransport
import VitalsCore
/// `GET /metrics`: Prometheus text 0.0.4, or OpenMetrics 1.0 when the scraper's Accept asks
/// for it. Answered on the I/O thread from bytes rendered at most once per tick (`MetricsCache`).
/// A read route: open on a loopback bind, a read token elsewhere (Prometheus sends it with
/// `authorization: credentials`).
extension VitalsApp {
    func addMetricsRoutes(_ r: inout Router) {
        r.add("GET", "/metrics", access: .read, .inline { [self] req in
            let format = ExpositionFormat.negotiate(accept: req.header("accept"))
            guard let body = metrics.bytes(format) else { return Self.noSampleYet }
            return HTTPResponse(status: 200, contentType: format.contentType, body: body)
        })
    }
}
