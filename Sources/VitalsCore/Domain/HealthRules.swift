/// The thresholds behind health's warnings, as data: which figure, at what level it warns
/// and when it is critical, what it costs the score and what to say. Health evaluates them
/// on the latest snapshot; the alert engine can take the same table as its default rules,
/// and the constraints (warning/critical per resource) can replace the levels.
public struct HealthRule: Sendable, Equatable {
    public var id: String
    /// The series compared, by its name in the metric table (`vitals_memory_used_ratio`),
    /// in the API's units (percent, °C). A per-GPU or per-filesystem series is checked for
    /// each GPU or filesystem.
    public var metric: String
    /// Fires at or above `warning`; `critical` (when set) at or above it.
    public var warning: Double
    public var critical: Double?
    /// Points taken off the 0-100 health score while the rule fires.
    public var penalty: Int
    /// `{value}` is the figure rounded down, `{subject}` the mount point or GPU index.
    public var message: String
    public var suggestion: String

    public init(id: String, metric: String, warning: Double, critical: Double? = nil,
                penalty: Int, message: String, suggestion: String) {
        self.id = id; self.metric = metric; self.warning = warning
        self.critical = critical; self.penalty = penalty; self.message = message; self.suggestion = suggestion
    }

    public func severity(of value: Double) -> String? {
        if let critical, value >= critical { return "critical" }
        return value >= warning ? "warning" : nil
    }

    func render(_ template: String, value: Double, subject: String) -> String {
        template.replacing("{value}", with: String(Int(value.rounded(.down))))
            .replacing("{subject}", with: subject)
    }
}

public enum HealthRules {
    public static let defaults: [HealthRule] = [
        HealthRule(id: "memory_high", metric: "vitals_memory_used_ratio", warning: 90, critical: 97, penalty: 10,
                   message: "RAM {value}% used",
                   suggestion: "stop idle models or lower batch size; see GET /api/v1/system/processes?sort=memory"),
        HealthRule(id: "swap_high", metric: "vitals_swap_used_ratio", warning: 50, penalty: 5,
                   message: "swap {value}% used",
                   suggestion: "the machine is short of RAM; expect slow generations"),
        HealthRule(id: "disk_full", metric: "vitals_filesystem_used_ratio", warning: 90, critical: 97, penalty: 10,
                   message: "{subject} {value}% full",
                   suggestion: "free space on {subject} (model caches and outputs grow fast)"),
        HealthRule(id: "gpu_hot", metric: "vitals_gpu_temperature_celsius", warning: 85, critical: 92, penalty: 10,
                   message: "GPU {subject} at {value} °C",
                   suggestion: "check airflow and fan curve, or cap power with nvidia-smi -pl"),
        // Levels here are ResourceConstraints' defaults; health uses `rules(for:)` with the
        // operator's constraints in their place.
        HealthRule(id: "gpu_memory_high", metric: "vitals_gpu_memory_used_ratio", warning: 85, critical: 95, penalty: 5,
                   message: "GPU {subject} VRAM {value}% used",
                   suggestion: "a new job may not fit: see GET /api/v1/optimization/recommendations, or apply model offload with POST /api/v1/optimization/apply-preset/memory_efficient"),
    ]

    /// One warning per rule and subject at or above its level. A rule naming no series
    /// of the metric table raises nothing (config validation reports such names).
    public static func evaluate(_ rules: [HealthRule], on snapshot: Snapshot) -> [HealthWarning] {
        var out: [HealthWarning] = []
        for rule in rules {
            guard let series = MetricTable.series(named: rule.metric) else { continue }
            series.forEachSample(in: snapshot) { subject, value in
                guard let severity = rule.severity(of: value) else { return }
                let (name, component) = describe(subject, rule)
                out.append(HealthWarning(component: component, severity: severity,
                                         message: rule.render(rule.message, value: value, subject: name),
                                         suggestion: rule.render(rule.suggestion, value: value, subject: name),
                                         penalty: rule.penalty, rule: rule.id))
            }
        }
        return out
    }

    /// How a warning names what it is about: the mount point or GPU index in the text, and
    /// the health component it belongs to.
    private static func describe(_ subject: MetricSubject, _ rule: HealthRule) -> (String, String) {
        switch subject {
        case .gpu(let d): return (String(d.index), "gpu\(d.index)")
        case .filesystem(let f): return (f.mountPoint, "disk")
        case .interface(let n): return (n.name, "network")
        case .disk(let d): return (d.name, "disk")
        case .collector(let c): return (c.name, "sampler")
        case .host:
            // vitals_memory_used_ratio → memory
            let name = rule.metric.hasPrefix("vitals_") ? rule.metric.dropFirst(7) : Substring(rule.metric)
            return ("host", String(name.prefix { $0 != "_" }))
        }
    }
}

/// One thing health found wrong, with what to do about it.
public struct HealthWarning: Sendable, Equatable {
    public var component: String
    public var severity: String
    public var message: String
    public var suggestion: String
    public var penalty: Int
    /// The rule that raised it; nil for the daemon's own checks (sampler, database).
    public var rule: String?
}
