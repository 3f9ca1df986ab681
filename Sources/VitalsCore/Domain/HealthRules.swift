/// The thresholds behind health's warnings, as data: which figure, at what level it warns
/// and when it is critical, what it costs the score and what to say. Health evaluates them
/// on the latest snapshot; the alert engine can take the same table as its default rules,
/// and the constraints (warning/critical per resource) can replace the levels.
public struct HealthRule: Sendable, Equatable {
    /// What the rule is about: one figure for the host, or one per filesystem or GPU.
    public enum Scope: String, Sendable { case host, filesystem, gpu }

    public var id: String
    public var scope: Scope
    /// The figure compared, named as in history and the metric table (`memory.percent`;
    /// per-GPU figures without their index, `gpu.temperature_c`).
    public var metric: String
    /// Fires at or above `warning`; `critical` (when set) at or above it.
    public var warning: Double
    public var critical: Double?
    /// Points taken off the 0-100 health score while the rule fires.
    public var penalty: Int
    /// `{value}` is the figure rounded down, `{subject}` the mount point or GPU index.
    public var message: String
    public var suggestion: String

    public init(id: String, scope: Scope, metric: String, warning: Double, critical: Double? = nil,
                penalty: Int, message: String, suggestion: String) {
        self.id = id; self.scope = scope; self.metric = metric; self.warning = warning
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
        HealthRule(id: "memory_high", scope: .host, metric: "memory.percent", warning: 90, critical: 97, penalty: 10,
                   message: "RAM {value}% used",
                   suggestion: "stop idle models or lower batch size; see GET /api/v1/system/processes?sort=memory"),
        HealthRule(id: "swap_high", scope: .host, metric: "swap.percent", warning: 50, penalty: 5,
                   message: "swap {value}% used",
                   suggestion: "the machine is short of RAM; expect slow generations"),
        HealthRule(id: "disk_full", scope: .filesystem, metric: "fs.percent", warning: 90, critical: 97, penalty: 10,
                   message: "{subject} {value}% full",
                   suggestion: "free space on {subject} (model caches and outputs grow fast)"),
        HealthRule(id: "gpu_hot", scope: .gpu, metric: "gpu.temperature_c", warning: 85, critical: 92, penalty: 10,
                   message: "GPU {subject} at {value} °C",
                   suggestion: "check airflow and fan curve, or cap power with nvidia-smi -pl"),
        HealthRule(id: "gpu_memory_high", scope: .gpu, metric: "gpu.memory_percent", warning: 95, penalty: 5,
                   message: "GPU {subject} VRAM {value}% used",
                   suggestion: "a new job may fail to allocate; enable offloading or a smaller quantization"),
    ]

    /// One warning per rule and subject at or above its level.
    public static func evaluate(_ rules: [HealthRule], on snapshot: Snapshot) -> [HealthWarning] {
        var out: [HealthWarning] = []
        for rule in rules {
            for (subject, component, value) in figures(rule, snapshot) {
                guard let severity = rule.severity(of: value) else { continue }
                out.append(HealthWarning(component: component, severity: severity,
                                         message: rule.render(rule.message, value: value, subject: subject),
                                         suggestion: rule.render(rule.suggestion, value: value, subject: subject),
                                         penalty: rule.penalty, rule: rule.id))
            }
        }
        return out
    }

    /// The rule's figure for each subject in scope: (subject, health component, value).
    static func figures(_ rule: HealthRule, _ s: Snapshot) -> [(String, String, Double)] {
        switch rule.scope {
        case .host:
            return SnapshotFigures.host(rule.metric, s).map { [("host", componentName(rule.metric), $0)] } ?? []
        case .filesystem:
            return s.reading.filesystems.compactMap { f in
                SnapshotFigures.filesystem(rule.metric, f).map { (f.mountPoint, "disk", $0) }
            }
        case .gpu:
            return s.gpu.devices.compactMap { d in
                SnapshotFigures.gpu(rule.metric, d).map { (String(d.index), "gpu\(d.index)", $0) }
            }
        }
    }

    /// `memory.percent` → `memory`: the component a host figure belongs to.
    private static func componentName(_ metric: String) -> String {
        String(metric.prefix { $0 != "." })
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
