import VitalsSupport

/// What the notifiers send, in the formats receivers already read: Alertmanager's webhook
/// (version "4", `docs/configuration.md`), so every Alertmanager-webhook receiver works,
/// and Alertmanager's v2 API body (`POST /api/v2/alerts`), as Prometheus sends it.
public enum AlertPayloads {
    /// Alertmanager writes a zero `endsAt` for alerts still firing.
    static let zeroTime = "0001-01-01T00:00:00Z"

    /// The labels sent: the alert's own plus `severity` (the level it fires at now).
    public static func labels(_ a: AlertRecord) -> [(String, String)] {
        var l = a.labels
        if let s = a.severity, !l.contains(where: { $0.0 == "severity" }) { l.append(("severity", s.rawValue)) }
        return l.sorted { $0.0 < $1.0 }
    }

    static func annotations(_ a: AlertRecord) -> [(String, String)] {
        var out = [("summary", a.summary)]
        if !a.description.isEmpty { out.append(("description", a.description)) }
        return out
    }

    static func writeMap(_ m: [(String, String)], _ w: inout JSONWriter) {
        w.beginObject()
        for (k, v) in m { w.field(k, v) }
        w.endObject()
    }

    public static func generatorURL(_ a: AlertRecord, externalURL: String) -> String {
        externalURL + "/api/v1/alerts/\(a.id)"
    }

    /// One alert per payload, grouped by `alertname`; `status` is firing or resolved.
    public static func webhook(_ a: AlertRecord, resolved: Bool, receiver: String = "vitals", externalURL: String) -> [UInt8] {
        let labels = labels(a)
        let status = resolved ? "resolved" : "firing"
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("version", "4")
        w.field("groupKey", "{}:{alertname=\"\(a.rule)\"}")
        w.field("truncatedAlerts", 0)
        w.field("status", status)
        w.field("receiver", receiver)
        w.key("groupLabels"); writeMap([("alertname", a.rule)], &w)
        w.key("commonLabels"); writeMap(labels, &w)
        w.key("commonAnnotations"); writeMap(annotations(a), &w)
        w.field("externalURL", externalURL)
        w.key("alerts"); w.beginArray()
        w.beginObject()
        w.field("status", status)
        w.key("labels"); writeMap(labels, &w)
        w.key("annotations"); writeMap(annotations(a), &w)
        w.field("startsAt", TimeFormat.iso8601(ms: a.firedMs ?? a.startsMs))
        w.field("endsAt", resolved ? TimeFormat.iso8601(ms: a.resolvedMs ?? a.updatedMs) : zeroTime)
        w.field("generatorURL", generatorURL(a, externalURL: externalURL))
        w.field("fingerprint", a.fingerprint)
        w.endObject()
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// Prometheus' push: a firing alert says it ends 4 minutes from now (re-sent every
    /// minute while it fires, so Alertmanager resolves it by itself if Vitals goes away);
    /// a resolved one ends when it resolved.
    public static func alertmanager(_ alerts: [AlertRecord], nowMs: Int64, externalURL: String) -> [UInt8] {
        var w = JSONWriter(capacity: 512 * alerts.count)
        w.beginArray()
        for a in alerts {
            w.beginObject()
            w.key("labels"); writeMap(labels(a), &w)
            w.key("annotations"); writeMap(annotations(a), &w)
            w.field("startsAt", TimeFormat.iso8601(ms: a.firedMs ?? a.startsMs))
            let ends = a.state == .resolved ? (a.resolvedMs ?? nowMs) : nowMs + 4 * 60_000
            w.field("endsAt", TimeFormat.iso8601(ms: ends))
            w.field("generatorURL", generatorURL(a, externalURL: externalURL))
            w.endObject()
        }
        w.endArray()
        return w.bytes
    }

    /// The alert as the API and the `alerts` topic show it.
    public static func record(_ a: AlertRecord, into w: inout JSONWriter) {
        w.beginObject()
        w.field("id", a.id)
        w.field("rule", a.rule)
        w.field("fingerprint", a.fingerprint)
        w.field("state", a.state.rawValue)
        w.field("severity", a.severity?.rawValue)
        w.field("value", a.value, decimals: 3)
        w.key("labels"); writeMap(a.labels, &w)
        w.field("summary", a.summary)
        w.field("description", a.description)
        w.field("starts_at", TimeFormat.iso8601(ms: a.startsMs))
        w.field("fired_at", a.firedMs.map { TimeFormat.iso8601(ms: $0) })
        w.field("resolved_at", a.resolvedMs.map { TimeFormat.iso8601(ms: $0) })
        w.field("updated_at", TimeFormat.iso8601(ms: a.updatedMs))
        w.key("acknowledgement")
        if let ack = a.ack {
            w.beginObject()
            w.field("by", ack.by)
            w.field("at", TimeFormat.iso8601(ms: ack.atMs))
            w.field("comment", ack.comment)
            w.field("expires", ack.expiresMs.map { TimeFormat.iso8601(ms: $0) })
            w.endObject()
        } else {
            w.null()
        }
        w.endObject()
    }
}

/// Alertmanager's retry schedule (`notify/retry_stage.go`, `notify/util.go`): 0.5 s, × 1.5
/// per attempt, ± 50 % jitter, at most 60 s.
public enum NotifyBackoff {
    public static func delayMs(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Int64 {
        var base = 500.0
        for _ in 1..<max(1, attempt) { base *= 1.5; if base > 60_000 { break } }
        base = min(base, 60_000)
        let jittered = base * (0.5 + random)
        return Int64(min(jittered, 60_000))
    }
}
