/// End-to-end latency of one route: connect, request, whole response, close.
enum RequestTimer {
    static func run(port: UInt16, path: String, count: Int) throws(BenchError) -> String {
        var times: [Double] = []
        var bytes = 0
        // One untimed request first: it opens the reader's SQLite connection and pages in the file.
        _ = try HTTPProbe.get(port: port, path: path)
        for _ in 0..<count {
            let t0 = Clock.monotonicNs()
            let outcome = try HTTPProbe.get(port: port, path: path)
            let ms = Double(Clock.monotonicNs() - t0) / 1e6
            guard case .response(let status, let n) = outcome else { throw BenchError("port \(port) refused the connection") }
            guard status == 200 else { throw BenchError("GET \(path) answered \(status)") }
            times.append(ms)
            bytes = n
        }
        times.sort()
        return "median_ms=\(Fixed.format(percentile(times, 50), 2)) p99_ms=\(Fixed.format(percentile(times, 99), 2)) "
            + "max_ms=\(Fixed.format(times.last ?? .nan, 2)) n=\(count) bytes=\(bytes)"
    }
}
