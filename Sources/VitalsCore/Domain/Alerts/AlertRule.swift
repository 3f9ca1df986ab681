import VitalsSupport

/// How bad a firing alert is. Ordered: critical outranks warning.
public enum AlertSeverity: String, Sendable, Comparable, CaseIterable {
    case warning, critical
    public static func < (a: Self, b: Self) -> Bool { a == .warning && b == .critical }
}

/// The life of one alert (one rule, one label set), as Prometheus' `rules/alerting.go`
/// has it, plus `resolved` for the episode that ended.
public enum AlertState: String, Sendable { case inactive, pending, firing, resolved }

/// One alerting rule. A `threshold` rule compares a series (optionally averaged over
/// `windowMs`) with its levels; a `forecast` rule fits a line through the series' recent
/// past (`lookbackMs`) and fires when that line crosses `bound` within `horizonMs`, as
/// Prometheus' `predict_linear` is used for "disk full within 24 h".
///
/// Hysteresis (netdata's stock rules): a level is entered past `warning`/`critical` and
/// left only past `clearWarning`/`clearCritical`, so a value wandering between the two
/// fires once. `forMs` is the pending time before firing; `keepFiringForMs` holds a firing
/// alert that long after its condition cleared (against false resolutions).
public struct AlertRule: Sendable, Equatable {
    public enum Op: String, Sendable { case above = ">", below = "<" }
    public enum Kind: String, Sendable { case threshold, forecast }

    public var name: String
    public var kind: Kind = .threshold
    /// A series of the metric table (Prometheus or history name) or an engine signal.
    public var metric: String
    /// Exact label matches ("gpu": "0", "mountpoint": "/"); empty selects every subject.
    public var selector: [String: String] = [:]
    public var op: Op = .above
    public var warning: Double?
    public var critical: Double?
    public var clearWarning: Double?
    public var clearCritical: Double?
    public var forMs: Int64 = 0
    public var keepFiringForMs: Int64 = 0
    public var windowMs: Int64 = 0
    /// forecast: the bound the fitted line must reach, how far ahead, over how much past.
    public var bound: Double?
    public var horizonMs: Int64 = 86_400_000
    public var lookbackMs: Int64 = 6 * 3_600_000
    public var labels: [String: String] = [:]
    /// `{value}` (rounded to one decimal), `{subject}` (GPU index, mount point...) and
    /// `{labels.NAME}` are replaced.
    public var summary: String = ""
    public var description: String = ""
    public var enabled = true

    public init(name: String, metric: String) { self.name = name; self.metric = metric }

    /// The level a value is at, given the level the alert holds now (hysteresis).
    @inline(__always)
    public func level(of v: Double, holding current: AlertSeverity?) -> AlertSeverity? {
        if let c = critical, past(v, c) || (current == .critical && past(v, clearCritical ?? c)) { return .critical }
        if let w = warning, past(v, w) || (current != nil && past(v, clearWarning ?? w)) { return .warning }
        return nil
    }

    @inline(__always)
    func past(_ v: Double, _ level: Double) -> Bool { op == .above ? v > level : v < level }

    func render(_ template: String, value: Double?, subject: String, labels: [(String, String)]) -> String {
        guard template.contains("{") else { return template }
        var out = template
        let shown = value.map { v -> String in
            let r = (v * 10).rounded() / 10
            return r == r.rounded() && abs(r) < 1e15 ? String(Int64(r)) : String(r)
        } ?? "unknown"
        out = out.replacing("{value}", with: shown).replacing("{subject}", with: subject)
        for (k, v) in labels where out.contains("{labels.") { out = out.replacing("{labels.\(k)}", with: v) }
        return out
    }
}
