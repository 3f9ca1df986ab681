import VitalsSupport
import VitalsTransport
import VitalsCore

/// Alerts: the active ones, their history, one with its state changes, acknowledgement,
/// the rules (read and edited at run time) and the notification outbox.
struct AlertRoutes: RouteProvider {
    let alerts: AlertService
    let history: HistoryAccess
    let time: any TimeSource
    let auth: AuthPolicy

    static let listSpec = RouteSpec.get("/api/v1/alerts", tag: "alerts", "Pending and firing alerts, then those resolved within the last hour")
        .responds(200, "the alerts", json: AlertSchemas.alerts)

    static let historySpec = RouteSpec.get("/api/v1/alerts/history", tag: "alerts", "Alert episodes, newest first, from the database")
        .query("from", Schema.string(minLength: 1, maxLength: 40).described(HistoryRequest.timeText))
        .query("to", Schema.string(minLength: 1, maxLength: 40).described(HistoryRequest.timeText))
        .query("severity", Schema.oneOf(["warning", "critical"]))
        .query("rule", Schema.string(minLength: 1, maxLength: 64))
        .query("limit", Schema.integer(1...1000).defaulting(.number(100)))
        .query("offset", Schema.integer(0...1_000_000).defaulting(.number(0)))
        .responds(200, "one page of alerts and the total", json: AlertSchemas.history)
        .fails(422, "a parameter is not accepted", .invalidParameter)
        .historyUnavailable()
        .historyQueryFailed()

    static let oneSpec = RouteSpec.get("/api/v1/alerts/{id}", tag: "alerts", "One alert with its state changes")
        .path("id", Schema.integer(1...Int64.max))
        .responds(200, "the alert", json: AlertSchemas.alert)
        .fails(404, "no alert has this id", .notFound)

    static let ackSpec = RouteSpec.post("/api/v1/alerts/{id}/acknowledge", tag: "alerts",
                                        "Acknowledge an active alert: no repeat notifications until it resolves or the acknowledgement expires")
        .path("id", Schema.integer(1...Int64.max))
        .body(AlertSchemas.ackBody, required: false, example: #"{"comment": "swapping the disk", "expires": "4h"}"#)
        .responds(200, "the alert, acknowledged", json: AlertSchemas.alert)
        .fails(404, "no active alert has this id", .notFound)
        .fails(422, "expires is neither a future time nor a duration", .invalidBody)

    static let rulesSpec = RouteSpec.get("/api/v1/alerts/rules", tag: "alerts", "The rules in force, with where each comes from")
        .responds(200, "the rules", json: AlertSchemas.rules)

    static let createSpec = RouteSpec.post("/api/v1/alerts/rules", tag: "alerts", "Add a rule; kept across restarts")
        .body(AlertSchemas.ruleBody, required: true,
              example: #"{"name": "gpu0_hot", "metric": "vitals_gpu_temperature_celsius", "selector": {"gpu": "0"}, "warning": 80, "clear_warning": 75, "for": "1m"}"#)
        .responds(201, "the rule", json: AlertSchemas.rule)
        .fails(409, "a rule of this name exists (PUT replaces it)", .ruleExists)
        .fails(422, "a field is not accepted", .invalidBody)
        .fails(507, "the rules could not be stored", .saveFailed)

    static let putSpec = RouteSpec("PUT", "/api/v1/alerts/rules/{name}", access: .admin, tag: "alerts",
                                   summary: "Replace (or add) the rule of this name; kept across restarts")
        .path("name", Schema.string(minLength: 1, maxLength: 64))
        .body(AlertSchemas.ruleBody, required: true, example: #"{"name": "memory_high", "metric": "memory.percent", "warning": 85, "clear_warning": 80}"#)
        .responds(200, "the rule", json: AlertSchemas.rule)
        .fails(422, "a field is not accepted, or the body names another rule", .invalidBody, .invalidParameter)
        .fails(507, "the rules could not be stored", .saveFailed)

    static let deleteSpec = RouteSpec("DELETE", "/api/v1/alerts/rules/{name}", access: .admin, tag: "alerts",
                                      summary: "Remove a rule (a default one stays removed); its alerts resolve")
        .path("name", Schema.string(minLength: 1, maxLength: 64))
        .responds(200, "the rule removed", json: AlertSchemas.deleted)
        .fails(404, "no rule has this name", .notFound)
        .fails(507, "the rules could not be stored", .saveFailed)

    static let notificationsSpec = RouteSpec.get("/api/v1/alerts/notifications", tag: "alerts",
                                                 "The notification outbox: each delivery to a webhook or Alertmanager and how it went")
        .query("state", Schema.oneOf(["pending", "delivered", "failed", "expired"]))
        .query("limit", Schema.integer(1...1000).defaulting(.number(100)))
        .query("offset", Schema.integer(0...1_000_000).defaulting(.number(0)))
        .responds(200, "one page of deliveries, newest first", json: AlertSchemas.notifications)
        .historyUnavailable()
        .historyQueryFailed()

    static func write(_ r: AlertRule, source: AlertDefaults.Source?) -> [UInt8] {
        var w = JSONWriter()
        AlertRuleCodec.write(r, into: &w)
        guard let source else { return w.bytes }
        // Splice the source in as the last field.
        var b = w.bytes
        b.removeLast()
        b += Array(",\"source\":\"\(source.rawValue)\"}".utf8)
        return b
    }

    func register(in routes: inout RouteTable) {
        let alerts = self.alerts, history = self.history, time = self.time, auth = self.auth

        routes.add(Self.listSpec, .inline { _ in
            let list = alerts.engine.alerts()
            return .json { w in
                w.beginObject(); w.key("alerts"); w.beginArray()
                for a in list { AlertPayloads.record(a, into: &w) }
                w.endArray(); w.endObject()
            }
        })

        routes.add(Self.historySpec, .worker { input in
            guard let store = history.store else { return history.unavailable }
            var q = AlertHistoryQuery()
            for (name, path) in [("from", \AlertHistoryQuery.fromMs), ("to", \.toMs)] as [(String, WritableKeyPath<AlertHistoryQuery, Int64?>)] {
                guard let s = input.string(name) else { continue }
                guard let ms = HistoryRequest.parseTime(s) else {
                    return RequestValidator.unprocessable(ValidationIssue(field: "query.\(name)", value: .string(s), allowed: HistoryRequest.timeText,
                                                                          message: "\(name)=\(s) must be \(HistoryRequest.timeText)"))
                }
                q[keyPath: path] = ms
            }
            q.severity = input.string("severity")
            q.rule = input.string("rule")
            q.limit = input.int("limit") ?? 100
            q.offset = input.int("offset") ?? 0
            do {
                let (rows, total) = try store.alertHistory(q)
                return .json { w in
                    w.beginObject()
                    w.key("alerts"); w.beginArray(); for a in rows { AlertPayloads.record(a, into: &w) }; w.endArray()
                    w.field("total", total); w.field("limit", q.limit); w.field("offset", q.offset)
                    w.endObject()
                }
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })

        routes.add(Self.oneSpec, .worker { input in
            let id = input.int64("id") ?? 0
            let stored = try? history.store?.storedAlert(id: id)
            guard let a = alerts.engine.alert(id: id) ?? stored else { return .error(404, .notFound, "no alert with id \(id)") }
            let events = (try? history.store?.alertEvents(alertID: id)) ?? []
            return .json { w in
                var inner = JSONWriter()
                AlertPayloads.record(a, into: &inner)
                var b = inner.bytes
                b.removeLast()
                w.raw(b)
                w.raw(Array(",\"events\":".utf8))
                var e = JSONWriter()
                e.beginArray()
                for ev in events {
                    e.beginObject()
                    e.field("at", TimeFormat.iso8601(ms: ev.ts)); e.field("change", ev.change); e.field("state", ev.state)
                    e.field("severity", ev.severity); e.field("value", ev.value, decimals: 3)
                    e.endObject()
                }
                e.endArray()
                w.raw(e.bytes)
                w.raw([UInt8(ascii: "}")])
            }
        })

        routes.add(Self.ackSpec, .worker { input in
            let id = input.int64("id") ?? 0
            let body = input.body?.objectValue ?? [:]
            var expires: Int64? = nil
            if let e = body["expires"]?.stringValue {
                let now = time.wallMs()
                if let ms = TimeFormat.parseISO8601(e), ms > now { expires = ms }
                else if let d = ConfigKindDuration.parse(e) { expires = now + d }
                else {
                    return RequestValidator.unprocessable(ValidationIssue(field: "body.expires", value: .string(e),
                        allowed: "a future ISO 8601 time or a duration like \"2h\"", message: "body.expires must be a future ISO 8601 time or a duration like \"2h\""))
                }
            }
            guard let a = alerts.acknowledge(id: id, by: auth.who(input.request), comment: body["comment"]?.stringValue, expiresMs: expires) else {
                return .error(404, .notFound, "no active alert with id \(id)")
            }
            var w = JSONWriter()
            AlertPayloads.record(a, into: &w)
            return .json(w.bytes)
        })

        routes.add(Self.rulesSpec, .inline { _ in
            let list = alerts.rules()
            return .json { w in
                w.beginObject(); w.key("rules"); w.beginArray()
                for (r, source) in list { w.raw(Self.write(r, source: source)) }
                w.endArray(); w.endObject()
            }
        })

        @Sendable func edit(_ input: ValidatedInput, create: Bool) -> HTTPResponse {
            guard let body = input.body else { return .error(422, .invalidBody, "body is required") }
            let pathName = input.string("name")
            if let pathName, let bodyName = body["name"]?.stringValue, bodyName != pathName {
                return RequestValidator.unprocessable(ValidationIssue(field: "body.name", value: .string(bodyName), allowed: pathName,
                                                                      message: "body.name must be the name in the path (\(pathName))"))
            }
            let rule: AlertRule
            switch alerts.parseRule(body, at: "body.") {
            case .failure(let issue):
                let key = String(issue.field.dropFirst(5).split(separator: ".").first ?? "")
                return RequestValidator.unprocessable(ValidationIssue(field: issue.field, value: body[key], allowed: issue.message, message: issue.message))
            case .success(let r): rule = r
            }
            switch alerts.putRule(rule, create: create) {
            case .success(let r):
                return .json(Self.write(r, source: nil), status: create ? 201 : 200)
            case .failure(.exists(let n)): return .error(409, .ruleExists, "a rule named \(n) exists; PUT /api/v1/alerts/rules/\(n) replaces it")
            case .failure(.notFound(let n)): return .error(404, .notFound, "no rule named \(n)")
            case .failure(.storage(let why)): return .error(507, .saveFailed, "the rules could not be stored: \(why)")
            }
        }
        routes.add(Self.createSpec, .worker { edit($0, create: true) })
        routes.add(Self.putSpec, .worker { edit($0, create: false) })

        routes.add(Self.deleteSpec, .worker { input in
            let name = input.string("name") ?? ""
            switch alerts.deleteRule(name) {
            case .success(let r):
                let before = Self.write(r, source: nil)
                return .json { w in w.beginObject(); w.key("deleted"); w.raw(before); w.endObject() }
            case .failure(.notFound(let n)), .failure(.exists(let n)): return .error(404, .notFound, "no rule named \(n)")
            case .failure(.storage(let why)): return .error(507, .saveFailed, "the rules could not be stored: \(why)")
            }
        })

        routes.add(Self.notificationsSpec, .worker { input in
            guard let store = history.store else { return history.unavailable }
            let limit = input.int("limit") ?? 100, offset = input.int("offset") ?? 0
            do {
                let (rows, total) = try store.notifications(state: input.string("state"), limit: limit, offset: offset)
                return .json { w in
                    w.beginObject()
                    w.key("notifications"); w.beginArray()
                    for n in rows {
                        w.beginObject()
                        w.field("id", n.id); w.field("alert_id", n.alertID); w.field("fingerprint", n.fingerprint)
                        w.field("kind", n.kind); w.field("target", n.target); w.field("status", n.status); w.field("state", n.state)
                        w.field("attempts", n.attempts); w.field("created_at", TimeFormat.iso8601(ms: n.createdMs))
                        w.field("next_attempt_at", n.state == "pending" ? TimeFormat.iso8601(ms: n.nextMs) : nil)
                        w.field("last_status", n.lastStatus); w.field("last_error", n.lastError)
                        w.field("done_at", n.doneMs.map { TimeFormat.iso8601(ms: $0) })
                        w.endObject()
                    }
                    w.endArray()
                    w.field("total", total); w.field("limit", limit); w.field("offset", offset)
                    w.key("receivers"); w.beginObject()
                    w.key("webhooks"); w.beginArray(); for u in alerts.options.webhooks { w.string(u) }; w.endArray()
                    w.key("alertmanager_urls"); w.beginArray(); for u in alerts.options.alertmanagerURLs { w.string(u) }; w.endArray()
                    w.endObject()
                    w.endObject()
                }
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })
    }
}
