import VitalsSupport
import VitalsTransport
import VitalsCore
/// Turns `stats/history` input into a HistoryQuery. The schema (`query`) checks each
/// parameter alone; the rules that involve several (one window only, from before to) and
/// the live list of series names are checked here, answering 422 naming the field.
public enum HistoryRequest {
    public enum Outcome { case success(HistoryQuery), failure(HTTPResponse) }

    public static let ranges: [(String, Int64)] = [
        ("1m", 60_000), ("5m", 300_000), ("15m", 900_000), ("1h", 3_600_000),
        ("6h", 21_600_000), ("24h", 86_400_000), ("7d", 604_800_000),
    ]
    public static let defaultMetrics = ["cpu.percent", "memory.percent"]
    public static let maxPoints = 1000
    static let timeText = "an ISO 8601 time or epoch seconds/milliseconds between 1970 and 9999"

    static func declare(_ spec: RouteSpec) -> RouteSpec {
        spec.query("range", Schema.oneOf(ranges.map(\.0)).described("a window ending now; use one of range, hours or from/to"))
            .query("hours", Schema.number(min: 0, max: 8784, exclusiveMin: true).described("a window of this many hours ending now"))
            .query("from", Schema.string(minLength: 1, maxLength: 40).described("start: \(timeText)"))
            .query("to", Schema.string(minLength: 1, maxLength: 40).described("end (needs from; default now): \(timeText)"))
            // Given, it names at least one series: `metrics=` is a 422, not the defaults in disguise.
            .query("metrics", Schema.array(.string(minLength: 1, maxLength: 64), minItems: 1, maxItems: 32)
                .described("comma-separated series names (default cpu.percent,memory.percent); an unknown name is a 422 that lists the valid ones"))
            .query("points", Schema.integer(1...Int64(maxPoints)).defaulting(.number(300)).described("at most this many buckets per series"))
    }

    static func invalid(_ field: String, _ value: String?, _ allowed: String, _ message: String) -> Outcome {
        .failure(RequestValidator.unprocessable(ValidationIssue(field: field, value: value.map { .string($0) }, allowed: allowed, message: message)))
    }

    public static func parse(_ input: ValidatedInput, nowMs: Int64, validMetrics: [String]) -> Outcome {
        let given = ["range", "hours", "from"].filter { input.has($0) }
        if given.count > 1 {
            return invalid("query.\(given[1])", input.request.query[given[1]], "only one of range, hours or from/to",
                           "use only one of range, hours or from/to (got \(given.joined(separator: ", ")))")
        }
        if input.has("to") && !input.has("from") {
            return invalid("query.to", input.string("to"), "to only together with from", "to needs from")
        }
        var from = nowMs - 3_600_000
        var to = nowMs
        if let r = input.string("range"), let d = ranges.first(where: { $0.0 == r })?.1 {
            from = nowMs - d
        } else if let hours = input.double("hours") {
            // At least 1 ms: a tiny positive hours value must not make an empty window.
            from = nowMs - max(1, Int64(hours * 3_600_000))
        } else if let f = input.string("from") {
            guard let fv = parseTime(f) else { return invalid("query.from", f, timeText, "from=\(f) must be \(timeText)") }
            from = fv
            if let t = input.string("to") {
                guard let tv = parseTime(t) else { return invalid("query.to", t, timeText, "to=\(t) must be \(timeText)") }
                to = tv
            }
            guard from < to else {
                return invalid("query.to", input.string("to"), "a time later than from", "from must be earlier than to")
            }
        }

        var metrics = defaultMetrics
        if let m = input.strings("metrics") {
            let valid = Set(validMetrics)
            let unknown = m.filter { !valid.contains($0) }
            if !unknown.isEmpty {
                let issue = ValidationIssue(field: "query.metrics", value: .string(unknown.joined(separator: ",")),
                                            allowed: "series names: " + validMetrics.joined(separator: ", "),
                                            message: "unknown metric \(unknown.joined(separator: ", ")); valid metrics: \(validMetrics.joined(separator: ", "))")
                return .failure(RequestValidator.unprocessable(issue, code: .unknownMetric) { w in
                    w.key("unknown"); w.beginArray(); for u in unknown { w.string(u) }; w.endArray()
                    w.key("valid"); w.beginArray(); for v in validMetrics { w.string(v) }; w.endArray()
                })
            }
            var seen = Set<String>()
            metrics = m.filter { seen.insert($0).inserted }
        }
        return .success(HistoryQuery(from: from, to: to, metrics: metrics, points: input.int("points") ?? 300))
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
