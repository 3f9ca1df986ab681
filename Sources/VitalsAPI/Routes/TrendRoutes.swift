import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET /api/v1/system/trends`: per series, the slope of a least-squares line through its
/// history (read from the coarsest tier that fits the range, as charts are), and for the
/// "fills up" series (filesystems, VRAM, RAM, swap) the time until 100 % at that slope.
struct TrendRoutes: RouteProvider {
    let history: HistoryAccess
    let time: any TimeSource
    let validMetrics: @Sendable () -> [String]

    static let ranges: [(String, Int64)] = [("1h", 3_600_000), ("6h", 21_600_000), ("24h", 86_400_000), ("7d", 604_800_000), ("30d", 2_592_000_000)]
    /// Percent series that mean "full" at 100.
    static func fills(_ name: String) -> Bool {
        name == "fs.max_percent" || name == "memory.percent" || name == "swap.percent" || (name.hasPrefix("gpu") && name.hasSuffix(".memory_percent"))
    }

    /// A fit stands on at least this many points over at least a minute and a sixtieth of
    /// the range (1 min of 1 h, 2.8 h of 7 days): two points 20 s apart made a daemon's
    /// first minute say "RAM +1,267 %/h, full in 4 min".
    static let minimumPoints = 5
    static func minimumSpanMs(range: Int64) -> Int64 { max(60_000, range / 60) }
    /// Beyond this a time until full says nothing (a flat series' tiny slope gave 10^12 days).
    static let horizonMs = 365.0 * 86_400_000

    static let spec = RouteSpec.get("/api/v1/system/trends", tag: "history", "Slope per hour and per day of each series, and the time until full for filesystems, VRAM and RAM")
        .query("metrics", Schema.array(.string(minLength: 1, maxLength: 64), maxItems: 32)
            .described("comma-separated history names (default: fs.max_percent, memory.percent, cpu.percent and each GPU's memory_percent)"))
        .query("range", Schema.oneOf(ranges.map(\.0)).defaulting(.string("7d")))
        .responds(200, "a trend per series", json: Schema.object([
            "range": SnapshotSchema.str, "from": SnapshotSchema.time, "to": SnapshotSchema.time, "tier": SnapshotSchema.str,
            "trends": .array(.object([
                "metric": SnapshotSchema.str, "points": SnapshotSchema.int, "current": SnapshotSchema.num.orNull,
                "history_s": SnapshotSchema.num.described("the time the points span"),
                "slope_per_hour": SnapshotSchema.num.orNull.described("null until the points span a minute and 1/60 of the range (at least 5 points)"),
                "slope_per_day": SnapshotSchema.num.orNull,
                "time_until_full_s": SnapshotSchema.num.orNull.described("null when it does not fill up, is not rising, or would take over a year"),
                "full_at": SnapshotSchema.time.orNull,
            ])),
        ]))
        .fails(422, "a series name is not kept", .unknownMetric)
        .historyUnavailable()
        .historyQueryFailed()

    func register(in routes: inout RouteTable) {
        let history = self.history, time = self.time, validMetrics = self.validMetrics
        routes.add(Self.spec, .worker { input in
            guard let store = history.store else { return history.unavailable }
            let valid = validMetrics()
            var metrics = input.strings("metrics") ?? []
            if metrics.isEmpty { metrics = valid.filter { Self.fills($0) || $0 == "cpu.percent" } }
            for m in metrics where !valid.contains(m) {
                return .error(422, .unknownMetric, "\(m) is not a kept series; valid: " + valid.joined(separator: ", ")) { w in
                    w.beginObject(); w.field("field", "query.metrics"); w.field("value", m); w.field("allowed", valid.joined(separator: ", ")); w.endObject()
                }
            }
            let rangeName = input.string("range") ?? "7d"
            let span = Self.ranges.first { $0.0 == rangeName }?.1 ?? 604_800_000
            let now = time.wallMs()
            do {
                let r = try store.query(HistoryQuery(from: now - span, to: now, metrics: metrics, points: 300))
                return .json { w in
                    w.beginObject()
                    w.field("range", rangeName)
                    w.field("from", TimeFormat.iso8601(ms: r.from)); w.field("to", TimeFormat.iso8601(ms: r.to))
                    w.field("tier", r.tier)
                    w.key("trends"); w.beginArray()
                    for m in metrics {
                        let points = (r.series[m] ?? []).compactMap { b in b.avg.map { (t: b.t, v: $0) } }
                        let spanMs = points.count > 1 ? points[points.count - 1].t - points[0].t : 0
                        let enough = points.count >= Self.minimumPoints && spanMs >= Self.minimumSpanMs(range: span)
                        let fit = enough ? LinearFit.fit(points) : nil
                        w.beginObject()
                        w.field("metric", m)
                        w.field("points", points.count)
                        w.field("history_s", Double(spanMs) / 1000, decimals: 0)
                        w.field("current", points.last?.v, decimals: 3)
                        w.field("slope_per_hour", fit.map { $0.slopePerMs * 3_600_000 }, decimals: 6)
                        w.field("slope_per_day", fit.map { $0.slopePerMs * 86_400_000 }, decimals: 6)
                        let until = Self.fills(m) ? fit?.msUntil(100, from: now).flatMap { $0 <= Self.horizonMs ? $0 : nil } : nil
                        w.field("time_until_full_s", until.map { $0 / 1000 }, decimals: 0)
                        w.field("full_at", until.map { TimeFormat.iso8601(ms: now + Int64($0)) })
                        w.endObject()
                    }
                    w.endArray()
                    w.endObject()
                }
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })
    }
}
