import VitalsTransport

/// A group of routes for one resource, built from only what those routes need (Hummingbird's
/// RouteCollection in spirit): no handler sees the whole app. VitalsApp only wires them.
///
/// Adopting it: a struct holding its dependencies, whose `register` adds each route with
/// its declaration, e.g.
///
///     struct MetricsRoutes: RouteProvider {
///         let exposition: MetricsExposition
///         func register(in routes: inout RouteTable) {
///             routes.add(.get("/metrics", tag: "metrics", "Prometheus text exposition")
///                 .responds(200, "the metrics", contentType: "text/plain; version=0.0.4"),
///                 .inline { _ in exposition.response() })
///         }
///     }
public protocol RouteProvider {
    func register(in routes: inout RouteTable)
}
