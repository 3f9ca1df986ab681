import VitalsSupport
import VitalsTransport
import VitalsCore
import Synchronization

/// Requests by route pattern, method and status, and a duration histogram per route,
/// counted from the HTTP server's observer. The hot path is a few relaxed atomic adds into
/// a dense table keyed by the route's index: no lock, no hashing, no allocation. The
/// `/metrics` renderer reads the table once per tick.
final class HTTPMetrics: Sendable {
    private let table = AtomicLazyReference<HTTPCounterTable>()

    /// Sizes the table for the router's routes; before this, requests are not counted.
    /// Installing twice keeps the first table (the routes are the same).
    func install(routes patterns: [String]) {
        _ = table.storeIfNil(HTTPCounterTable(patterns: patterns))
    }

    func record(_ e: HTTPExchange) {
        table.load()?.record(e)
    }

    func write(into w: inout ExpositionWriter) {
        table.load()?.write(into: &w)
    }
}

/// The counters themselves: one slot per (route, method, status) and per (route, bucket).
/// @unchecked Sendable: the pointers are allocated once and only touched through atomics.
final class HTTPCounterTable: @unchecked Sendable {
    /// Label values for the route of index i; the last slot is for requests no route matched.
    let routes: [String]
    static let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"]
    /// The statuses the server and its routes answer with; anything else counts as "other".
    static let statuses = [101, 200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 408, 409, 411, 413, 415,
                           417, 422, 426, 429, 431, 500, 501, 503, 505, 507]
    /// Upper bounds in seconds: from a cached-bytes answer (~10 µs) to a slow history query.
    static let buckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private let requests: UnsafeMutablePointer<Atomic<Int>>
    private let requestSlots: Int
    /// Per route: one count per bucket (not cumulative; +Inf last), then the sum in ns.
    private let durations: UnsafeMutablePointer<Atomic<Int>>
    private let durationSlots: Int
    private static let statusSlots = statuses.count + 1
    private static let durationStride = buckets.count + 2

    init(patterns: [String]) {
        routes = patterns + ["unmatched"]
        requestSlots = routes.count * Self.methods.count * Self.statusSlots
        requests = .allocate(capacity: requestSlots)
        for i in 0..<requestSlots { (requests + i).initialize(to: Atomic(0)) }
        durationSlots = routes.count * Self.durationStride
        durations = .allocate(capacity: durationSlots)
        for i in 0..<durationSlots { (durations + i).initialize(to: Atomic(0)) }
    }

    deinit {
        requests.deinitialize(count: requestSlots); requests.deallocate()
        durations.deinitialize(count: durationSlots); durations.deallocate()
    }

    func record(_ e: HTTPExchange) {
        let route = e.routeIndex >= 0 && e.routeIndex < routes.count - 1 ? e.routeIndex : routes.count - 1
        let method = Self.methodIndex(e.method)
        let status = Self.statusIndex(e.status)
        requests[(route * Self.methods.count + method) * Self.statusSlots + status].add(1, ordering: .relaxed)
        let seconds = Double(e.durationNs) / 1e9
        var bucket = Self.buckets.count
        for (i, bound) in Self.buckets.enumerated() where seconds <= bound { bucket = i; break }
        let base = route * Self.durationStride
        durations[base + bucket].add(1, ordering: .relaxed)
        durations[base + Self.buckets.count + 1].add(Int(truncatingIfNeeded: e.durationNs), ordering: .relaxed)
    }

    static func methodIndex(_ m: String) -> Int {
        switch m {
        case "GET": return 0
        case "HEAD": return 1
        case "POST": return 2
        case "PUT": return 3
        case "DELETE": return 4
        case "PATCH": return 5
        case "OPTIONS": return 6
        default: return 7   // anything a client invents: one bucket, not one series per spelling
        }
    }

    static func statusIndex(_ s: Int) -> Int {
        statuses.firstIndex(of: s) ?? statuses.count
    }

    func write(into w: inout ExpositionWriter) {
        w.family("vitals_http_requests", help: "HTTP requests answered, by route pattern, method and status.", kind: .counter)
        for r in 0..<routes.count {
            for m in 0..<Self.methods.count {
                for s in 0..<Self.statusSlots {
                    let n = requests[(r * Self.methods.count + m) * Self.statusSlots + s].load(ordering: .relaxed)
                    guard n > 0 else { continue }
                    let status = s < Self.statuses.count ? String(Self.statuses[s]) : "other"
                    w.sample(labels: [("route", routes[r]), ("method", Self.methods[m]), ("status", status)], Double(n))
                }
            }
        }
        w.family("vitals_http_request_duration_seconds", help: "Time from a parsed request to its answer being queued, by route pattern.",
                 kind: .histogram, unit: .seconds)
        for r in 0..<routes.count {
            let base = r * Self.durationStride
            // Loaded once each so the buckets, sum and count of one route agree with each other.
            var counts = [Int](repeating: 0, count: Self.buckets.count + 1)
            for i in 0...Self.buckets.count { counts[i] = durations[base + i].load(ordering: .relaxed) }
            let total = counts.reduce(0, +)
            guard total > 0 else { continue }
            var cumulative = 0
            for (i, bound) in Self.buckets.enumerated() {
                cumulative += counts[i]
                w.sample(suffix: "_bucket", labels: [("route", routes[r]), ("le", ExpositionWriter.number(bound))], Double(cumulative))
            }
            w.sample(suffix: "_bucket", labels: [("route", routes[r]), ("le", "+Inf")], Double(total))
            let sumNs = durations[base + Self.buckets.count + 1].load(ordering: .relaxed)
            w.sample(suffix: "_sum", labels: [("route", routes[r])], Double(sumNs) / 1e9)
            w.sample(suffix: "_count", labels: [("route", routes[r])], Double(total))
        }
    }
}
