import VitalsSupport

/// A rule field the codec refused: the field's path (`body.warning`, `alerts.rules[2].op`)
/// and why, for a 422 or a config error naming it.
public struct AlertRuleIssue: Error, Sendable, Equatable {
    public let field: String
    public let message: String
}

/// Rules as JSON: read (config `alerts.rules`, the rules routes, the settings table) and
/// written (the same shape back). Durations are "90s", "10m", "24h" or seconds.
public enum AlertRuleCodec {
    public static let fields = ["name", "kind", "metric", "selector", "op", "warning", "critical", "clear_warning",
                                "clear_critical", "for", "keep_firing_for", "window", "bound", "horizon", "lookback",
                                "labels", "summary", "description", "enabled"]

    /// Parses one rule; `known` says whether a series name exists (metric table or signal).
    public static func parse(_ v: JSONValue, at prefix: String, known: (String) -> Bool) -> Result<AlertRule, AlertRuleIssue> {
        func fail(_ f: String, _ m: String) -> Result<AlertRule, AlertRuleIssue> {
            .failure(AlertRuleIssue(field: prefix + f, message: "\(prefix)\(f): \(m)"))
        }
        guard let o = v.objectValue else { return .failure(AlertRuleIssue(field: prefix.isEmpty ? "rule" : String(prefix.dropLast()), message: "a rule must be an object")) }
        for k in o.keys where !fields.contains(k) { return fail(k, "unknown field; known: " + fields.joined(separator: ", ")) }
        guard let name = o["name"]?.stringValue, isName(name) else {
            return fail("name", "must be 1 to 64 letters, digits, '_' or ':'")
        }
        guard let metric = o["metric"]?.stringValue, known(metric) else {
            return fail("metric", "must name a series of the metric table (e.g. vitals_cpu_busy_ratio or cpu.percent) or a signal")
        }
        var r = AlertRule(name: name, metric: metric)
        if let k = o["kind"] {
            guard let s = k.stringValue, let kind = AlertRule.Kind(rawValue: s) else { return fail("kind", "must be threshold or forecast") }
            r.kind = kind
        }
        if let x = o["op"] {
            guard let s = x.stringValue, let op = AlertRule.Op(rawValue: s) else { return fail("op", "must be \">\" or \"<\"") }
            r.op = op
        }
        for (key, path) in [("warning", \AlertRule.warning), ("critical", \.critical), ("clear_warning", \.clearWarning),
                            ("clear_critical", \.clearCritical), ("bound", \.bound)] as [(String, WritableKeyPath<AlertRule, Double?>)] {
            guard let x = o[key], x != .null else { continue }
            guard let d = x.doubleValue, d.isFinite, abs(d) < 1e15 else { return fail(key, "must be a number") }
            r[keyPath: path] = d
        }
        for (key, path, range) in [("for", \AlertRule.forMs, 0...86_400_000), ("keep_firing_for", \.keepFiringForMs, 0...86_400_000),
                                   ("window", \.windowMs, 0...86_400_000), ("horizon", \.horizonMs, 60_000...(30 * 86_400_000)),
                                   ("lookback", \.lookbackMs, 600_000...(7 * 86_400_000))]
            as [(String, WritableKeyPath<AlertRule, Int64>, ClosedRange<Int64>)] {
            guard let x = o[key] else { continue }
            guard let ms = duration(x), range.contains(ms) else {
                return fail(key, "must be a duration like \"90s\", \"10m\" or \"24h\" (or seconds) from \(range.lowerBound / 1000) s to \(range.upperBound / 1000) s")
            }
            r[keyPath: path] = ms
        }
        for (key, path) in [("selector", \AlertRule.selector), ("labels", \.labels)] as [(String, WritableKeyPath<AlertRule, [String: String]>)] {
            guard let x = o[key] else { continue }
            guard let m = x.objectValue, m.count <= 16 else { return fail(key, "must be an object of at most 16 string values") }
            var out: [String: String] = [:]
            for (k, v) in m {
                guard isName(k), let s = v.stringValue, s.unicodeScalars.count <= 200 else {
                    return fail("\(key).\(k)", "must be a string of at most 200 characters under a name of letters, digits or '_'")
                }
                out[k] = s
            }
            r[keyPath: path] = out
        }
        for (key, path) in [("summary", \AlertRule.summary), ("description", \.description)] as [(String, WritableKeyPath<AlertRule, String>)] {
            guard let x = o[key] else { continue }
            guard let s = x.stringValue, s.unicodeScalars.count <= 500 else { return fail(key, "must be a string of at most 500 characters") }
            r[keyPath: path] = s
        }
        if let x = o["enabled"] {
            guard let b = x.boolValue else { return fail("enabled", "must be true or false") }
            r.enabled = b
        }
        switch r.kind {
        case .threshold:
            guard r.warning != nil || r.critical != nil else { return fail("warning", "a threshold rule needs warning, critical or both") }
            if let w = r.warning, let c = r.critical, r.op == .above ? w > c : w < c {
                return fail("critical", "must be at or past warning (\(r.op.rawValue) \(w))")
            }
            if let w = r.warning, let cw = r.clearWarning, r.past(cw, w) {
                return fail("clear_warning", "must be on the clear side of warning (\(w)): it is where the alert is left")
            }
            if let c = r.critical, let cc = r.clearCritical, r.past(cc, c) {
                return fail("clear_critical", "must be on the clear side of critical (\(c)): it is where critical is left")
            }
        case .forecast:
            guard r.bound != nil else { return fail("bound", "a forecast rule needs the bound the series must not reach") }
        }
        return .success(r)
    }

    /// A list of rules (config `alerts.rules`, the stored document); names must be unique.
    public static func parseList(_ v: JSONValue, at prefix: String, known: (String) -> Bool) -> Result<[AlertRule], AlertRuleIssue> {
        guard let a = v.arrayValue, a.count <= 500 else {
            return .failure(AlertRuleIssue(field: prefix, message: "\(prefix): must be a list of at most 500 rules"))
        }
        var out: [AlertRule] = []
        for (i, item) in a.enumerated() {
            switch parse(item, at: "\(prefix)[\(i)].", known: known) {
            case .failure(let e): return .failure(e)
            case .success(let r):
                if out.contains(where: { $0.name == r.name }) {
                    return .failure(AlertRuleIssue(field: "\(prefix)[\(i)].name", message: "\(prefix)[\(i)].name: \(r.name) is used twice"))
                }
                out.append(r)
            }
        }
        return .success(out)
    }

    static func duration(_ v: JSONValue) -> Int64? {
        switch v {
        case .string(let s): return s == "0" || s == "0s" ? 0 : ConfigKind.parseDuration(s)
        case .number(let d) where d.isFinite && d >= 0 && d < 1e9: return Int64(d * 1000)
        default: return nil
        }
    }

    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 58
        }
    }

    public static func write(_ r: AlertRule, into w: inout JSONWriter) {
        w.beginObject()
        w.field("name", r.name)
        w.field("kind", r.kind.rawValue)
        w.field("metric", r.metric)
        w.key("selector"); writeMap(r.selector, &w)
        w.field("op", r.op.rawValue)
        w.field("warning", r.warning, decimals: 6)
        w.field("critical", r.critical, decimals: 6)
        w.field("clear_warning", r.clearWarning, decimals: 6)
        w.field("clear_critical", r.clearCritical, decimals: 6)
        w.field("for", ConfigKind.formatDurationOrZero(r.forMs))
        w.field("keep_firing_for", ConfigKind.formatDurationOrZero(r.keepFiringForMs))
        w.field("window", ConfigKind.formatDurationOrZero(r.windowMs))
        w.field("bound", r.bound, decimals: 6)
        w.field("horizon", ConfigKind.formatDurationOrZero(r.horizonMs))
        w.field("lookback", ConfigKind.formatDurationOrZero(r.lookbackMs))
        w.key("labels"); writeMap(r.labels, &w)
        w.field("summary", r.summary)
        w.field("description", r.description)
        w.field("enabled", r.enabled)
        w.endObject()
    }

    public static func document(_ rules: [AlertRule]) -> [UInt8] {
        var w = JSONWriter()
        w.beginArray()
        for r in rules { write(r, into: &w) }
        w.endArray()
        return w.bytes
    }

    static func writeMap(_ m: [String: String], _ w: inout JSONWriter) {
        w.beginObject()
        for k in m.keys.sorted() { w.field(k, m[k]) }
        w.endObject()
    }
}

extension ConfigKind {
    static func formatDurationOrZero(_ ms: Int64) -> String { ms == 0 ? "0s" : ms % 1000 != 0 ? "\(Double(ms) / 1000)s" : formatDuration(ms) }
}

/// Durations as the config writes them ("90s", "10m", "24h"), for callers outside Core.
public enum ConfigKindDuration {
    public static func parse(_ s: String) -> Int64? { ConfigKind.parseDuration(s) }
}
