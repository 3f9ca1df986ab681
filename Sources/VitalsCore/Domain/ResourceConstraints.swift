/// The limits an operator sets once and health, the resource check and the alert
/// engine's default rules all read: warning and critical per resource, and how many jobs
/// may run at once.
public struct ResourceConstraints: Sendable, Equatable {
    public struct Levels: Sendable, Equatable {
        public var warning: Double
        public var critical: Double
        public init(_ warning: Double, _ critical: Double) { self.warning = warning; self.critical = critical }
    }

    /// Percent of GPU memory in use.
    public var vram = Levels(85, 95)
    /// Percent of RAM in use.
    public var ram = Levels(90, 97)
    /// Percent of CPU busy.
    public var cpu = Levels(90, 98)
    /// Percent of the fullest filesystem in use.
    public var disk = Levels(90, 97)
    /// GPU core temperature, °C.
    public var gpuTemperature = Levels(85, 92)
    public var maxConcurrentJobs = 2

    public init() {}

    /// The resources by their API names, in the order the API lists them.
    public static let resources = ["vram", "ram", "cpu", "disk", "gpu_temperature"]

    public func levels(_ resource: String) -> Levels? {
        switch resource {
        case "vram": return vram
        case "ram": return ram
        case "cpu": return cpu
        case "disk": return disk
        case "gpu_temperature": return gpuTemperature
        default: return nil
        }
    }

    public mutating func setLevels(_ resource: String, _ l: Levels) {
        switch resource {
        case "vram": vram = l
        case "ram": ram = l
        case "cpu": cpu = l
        case "disk": disk = l
        case "gpu_temperature": gpuTemperature = l
        default: break
        }
    }
}

extension HealthRules {
    /// Health's rules with the operator's levels in place of the built-in ones. CPU has no
    /// health rule: one busy 500 ms tick is normal under generation and would flap health;
    /// the resource check reads the CPU levels.
    public static func rules(for c: ResourceConstraints) -> [HealthRule] {
        defaults.map { rule in
            var r = rule
            switch rule.id {
            case "memory_high": r.warning = c.ram.warning; r.critical = c.ram.critical
            case "disk_full": r.warning = c.disk.warning; r.critical = c.disk.critical
            case "gpu_hot": r.warning = c.gpuTemperature.warning; r.critical = c.gpuTemperature.critical
            case "gpu_memory_high": r.warning = c.vram.warning; r.critical = c.vram.critical
            default: break
            }
            return r
        }
    }
}
