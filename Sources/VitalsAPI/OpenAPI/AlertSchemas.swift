import VitalsSupport
import VitalsCore

/// Inputs and answers of the alert routes, as their parsers and encoders read and write them.
enum AlertSchemas {
    typealias S = SnapshotSchema

    static let duration = Schema.anyOf([
        Schema.string(minLength: 1, maxLength: 32).described("a duration like \"90s\", \"10m\", \"24h\""),
        Schema.number(min: 0, max: 86_400 * 30).described("seconds"),
    ])
    static let labelMap = Schema.map(Schema.string(maxLength: 200))
    static let level = Schema.number(min: -1e15, max: 1e15)

    /// A rule as the routes take it (`name` and `metric` required, the rest defaulted).
    static let ruleBody = Schema(.object(properties: [
        .init(name: "name", schema: Schema.string(minLength: 1, maxLength: 64).described("letters, digits, '_' or ':'"), required: true),
        .init(name: "metric", schema: Schema.string(minLength: 1, maxLength: 128)
            .described("a series of the metric table (vitals_memory_used_ratio or memory.percent) or a signal: " + AlertDefaults.signalNames.joined(separator: ", ")), required: true),
        .init(name: "kind", schema: .oneOf(["threshold", "forecast"]), required: false),
        .init(name: "selector", schema: labelMap.described("exact label matches, e.g. {\"mountpoint\": \"/\"}"), required: false),
        .init(name: "op", schema: .oneOf([">", "<"]), required: false),
        .init(name: "warning", schema: level.orNull, required: false),
        .init(name: "critical", schema: level.orNull, required: false),
        .init(name: "clear_warning", schema: level.orNull.described("where warning is left (hysteresis)"), required: false),
        .init(name: "clear_critical", schema: level.orNull.described("where critical is left (hysteresis)"), required: false),
        .init(name: "for", schema: duration.described("pending time before firing"), required: false),
        .init(name: "keep_firing_for", schema: duration, required: false),
        .init(name: "window", schema: duration.described("average over this window first"), required: false),
        .init(name: "bound", schema: level.orNull.described("forecast: the bound the fitted line must not reach"), required: false),
        .init(name: "horizon", schema: duration, required: false),
        .init(name: "lookback", schema: duration, required: false),
        .init(name: "labels", schema: labelMap, required: false),
        .init(name: "summary", schema: Schema.string(maxLength: 500), required: false),
        .init(name: "description", schema: Schema.string(maxLength: 500), required: false),
        .init(name: "enabled", schema: .boolean, required: false),
    ], extra: nil))

    static let rule = Schema.object([
        "name": S.str, "kind": .oneOf(["threshold", "forecast"]), "metric": S.str, "selector": .map(S.str),
        "op": .oneOf([">", "<"]), "warning": S.num, "critical": S.num, "clear_warning": S.num, "clear_critical": S.num,
        "for": S.str, "keep_firing_for": S.str, "window": S.str, "bound": S.num, "horizon": S.str, "lookback": S.str,
        "labels": .map(S.str), "summary": S.str, "description": S.str, "enabled": .boolean,
    ], optional: ["source": .oneOf(["default", "config", "api"])])
    static let rules = Schema.object(["rules": .array(rule)])
    static let deleted = Schema.object(["deleted": rule])

    static let alert = Schema.object([
        "id": S.int, "rule": S.str, "fingerprint": S.str, "state": .oneOf(["inactive", "pending", "firing", "resolved"]),
        "severity": Schema.oneOf(["warning", "critical"]).orNull, "value": S.num, "labels": .map(S.str),
        "summary": S.str, "description": S.str, "starts_at": S.time, "fired_at": S.time.orNull,
        "resolved_at": S.time.orNull, "updated_at": S.time,
        "acknowledgement": Schema.object(["by": S.str, "at": S.time, "comment": S.strOrNull, "expires": S.time.orNull]).orNull,
    ], optional: [
        "events": .array(.object(["at": S.time, "change": S.str, "state": S.str, "severity": S.strOrNull, "value": S.num])),
    ])
    static let alerts = Schema.object(["alerts": .array(alert)])
    static let history = Schema.object(["alerts": .array(alert), "total": S.int, "limit": S.int, "offset": S.int])

    static let ackBody = Schema.object([:], optional: [
        "comment": Schema.string(maxLength: 500),
        "expires": Schema.string(minLength: 1, maxLength: 40).described("an ISO 8601 time, or a duration from now like \"2h\""),
    ])

    static let notification = Schema.object([
        "id": S.int, "alert_id": S.int, "fingerprint": S.str, "kind": .oneOf(["webhook", "alertmanager"]), "target": S.str,
        "status": .oneOf(["firing", "resolved"]), "state": .oneOf(["pending", "delivered", "failed", "expired"]),
        "attempts": S.int, "created_at": S.time, "next_attempt_at": S.time.orNull, "last_status": S.intOrNull,
        "last_error": S.strOrNull, "done_at": S.time.orNull,
    ])
    static let notifications = Schema.object(["notifications": .array(notification), "total": S.int, "limit": S.int, "offset": S.int,
                                              "receivers": .object(["webhooks": .array(S.str), "alertmanager_urls": .array(S.str)])])
}
