import VitalsSupport
import VitalsTransport
import VitalsCore
/// Turns `stats/history` query parameters into a HistoryQuery, or a 400 that says what
/// was wrong and what is allowed.
public enum HistoryRequest {
    public enum Outcome { case success(HistoryQuery), failure(HTTPResponse) }

    public static let ranges: [(String, Int64)] = [
        ("1m", 60_000), ("5m", 300_000), ("15m", 900_000), ("1h", 3_600_000),
        ("6h", 21_600_000), ("24h", 86_400_000), ("7d", 604_800_000),
    ]
    public static let defaultMetrics = ["cpu.percent", "memory.percent"]
    public static let maxPoints = 1000

    public static func parse(_ q: [String: String], nowMs: Int64, validMetrics: [String]) -> Outcome {
        let given = ["range", "hours", "from"].filter { q[$0] != nil }
        if given.count > 1 {
            return .failure(HTTPResponse.error(400, "invalid_parameter", "use only one of range, hours or from/to (got \(given.joined(separator: ", ")))"))
        }
        if q["to"] != nil && q["from"] == nil {
            return .failure(HTTPResponse.error(400, "invalid_parameter", "to needs from"))
        }
        var from = nowMs - 3_600_000
        var to = nowMs
        if let r = q["range"] {
            guard let d = ranges.first(where: { $0.0 == r })?.1 else {
                return .failure(HTTPResponse.error(400, "invalid_parameter", "range=\(r) is not one of \(ranges.map(\.0).joined(separator: ", "))"))
            }
            from = nowMs - d
        } else if let h = q["hours"] {
            guard let hours = Double(h), hours.isFinite, hours > 0, hours <= 24 * 366 else {
                return .failure(HTTPResponse.error(400, "invalid_parameter", "hours=\(h) must be a number above 0 and at most 8784"))
            }
            from = nowMs - Int64(hours * 3_600_000)
        } else if let f = q["from"] {
            guard let fv = parseTime(f) else {
                return .failure(HTTPResponse.error(400, "invalid_parameter", "from=\(f) must be an ISO 8601 time or epoch seconds/milliseconds between 1970 and 9999"))
            }
            from = fv
            if let t = q["to"] {
                guard let tv = parseTime(t) else {
                    return .failure(HTTPResponse.error(400, "invalid_parameter", "to=\(t) must be an ISO 8601 time or epoch seconds/milliseconds between 1970 and 9999"))
                }
                to = tv
            }
            guard from < to else {
                return .failure(HTTPResponse.error(400, "invalid_parameter", "from must be earlier than to"))
            }
        }

        var metrics = defaultMetrics
        if let m = q["metrics"] {
            metrics = m.split(separator: ",").map { $0.trimmedWhitespace }.filter { !$0.isEmpty }
            if metrics.isEmpty {
                return .failure(HTTPResponse.error(400, "invalid_parameter", "metrics is empty"))
            }
            if metrics.count > 32 {
                return .failure(HTTPResponse.error(400, "invalid_parameter", "at most 32 metrics per request"))
            }
            let valid = Set(validMetrics)
            let unknown = metrics.filter { !valid.contains($0) }
            if !unknown.isEmpty {
                return .failure(HTTPResponse.error(400, "unknown_metric", "unknown metric \(unknown.joined(separator: ", ")); valid metrics: \(validMetrics.joined(separator: ", "))") { w in
                    w.beginObject()
                    w.key("unknown"); w.beginArray(); for u in unknown { w.string(u) }; w.endArray()
                    w.key("valid"); w.beginArray(); for v in validMetrics { w.string(v) }; w.endArray()
                    w.endObject()
                })
            }
            var seen = Set<String>()
            metrics = metrics.filter { seen.insert($0).inserted }
        }

        let points: Int
        do throws(InvalidParameter) { points = try intParameter(q, "points", in: 1...maxPoints, default: 300) } catch { return .failure(error.response) }
        return .success(HistoryQuery(from: from, to: to, metrics: metrics, points: points))
    }

    /// ISO 8601, or epoch seconds (below 10^11) / milliseconds, from 1970 to the year 9999.
    static func parseTime(_ s: String) -> Int64? {
        let ms: Int64?
        if let n = Double(s), n.isFinite {
            let scaled = n < 1e11 ? n * 1000 : n
            ms = scaled >= 0 && scaled <= Double(HistoryTierPlan.maxTimestampMs) ? Int64(scaled) : nil
        } else {
            ms = TimeFormat.parseISO8601(s)
        }
        guard let ms, ms >= 0, ms <= HistoryTierPlan.maxTimestampMs else { return nil }
        return ms
    }

    public static func encode(_ r: HistoryResult, query: HistoryQuery) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + r.series.values.reduce(0) { $0 + $1.count } * 64)
        w.beginObject()
        w.field("from", r.from)
        w.field("to", r.to)
        w.field("from_iso", TimeFormat.iso8601(ms: r.from))
        w.field("to_iso", TimeFormat.iso8601(ms: r.to))
        w.field("tier", r.tier)
        w.field("bucket_ms", r.bucketMs)
        w.field("points", query.points)
        w.key("series"); w.beginObject()
        for name in query.metrics {
            w.key(name); w.beginArray()
            for b in r.series[name] ?? [] {
                w.beginObject()
                w.field("t", b.t)
                w.field("avg", b.avg, decimals: 3)
                w.field("min", b.min, decimals: 3)
                w.field("max", b.max, decimals: 3)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }
}
