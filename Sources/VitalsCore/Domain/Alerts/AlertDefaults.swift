/// The rules on from the first start, and how they combine with the config's and the
/// operator's. Levels come from netdata's stock rules (`health.d`: CPU 85/75 and 95/85
/// over 10 min, RAM 90/80 and 98/90, disk 90/80 and 98/90), VRAM and GPU temperature from
/// the resource constraints.
public enum AlertDefaults {
    /// Signals the engine reads besides the metric table (see `AlertEngine.checkSignals`).
    public static let signalNames = ["vitals_sampler_tick_age_seconds", "vitals_history_writable", "vitals_gpus_missing"]

    public static func rules(for c: ResourceConstraints) -> [AlertRule] {
        func rule(_ name: String, _ metric: String, _ configure: (inout AlertRule) -> Void) -> AlertRule {
            var r = AlertRule(name: name, metric: metric)
            configure(&r)
            return r
        }
        return [
            rule("gpu_memory_high", "vitals_gpu_memory_used_ratio") {
                $0.warning = c.vram.warning; $0.critical = c.vram.critical
                $0.clearWarning = c.vram.warning - 5; $0.clearCritical = c.vram.critical - 5
                $0.forMs = 30_000; $0.keepFiringForMs = 30_000
                $0.summary = "GPU {labels.gpu} VRAM {value}% used"
                $0.description = "A new job may not fit; see GET /api/v1/optimization/recommendations."
            },
            rule("cpu_high", "vitals_cpu_busy_ratio") {
                $0.warning = 85; $0.clearWarning = 75; $0.critical = 95; $0.clearCritical = 85
                $0.windowMs = 600_000
                $0.summary = "CPU {value}% busy (10 min average)"
            },
            rule("memory_high", "vitals_memory_used_ratio") {
                $0.warning = 90; $0.clearWarning = 80; $0.critical = 98; $0.clearCritical = 90
                $0.forMs = 60_000; $0.keepFiringForMs = 60_000
                $0.summary = "RAM {value}% used"
                $0.description = "Stop idle models or lower the batch size; see GET /api/v1/system/processes?sort=memory."
            },
            rule("disk_full", "vitals_filesystem_used_ratio") {
                $0.warning = 90; $0.clearWarning = 80; $0.critical = 98; $0.clearCritical = 90
                $0.forMs = 60_000
                $0.summary = "{labels.mountpoint} {value}% full"
            },
            rule("disk_full_in_24h", "vitals_filesystem_used_ratio") {
                $0.kind = .forecast; $0.bound = 100; $0.horizonMs = 86_400_000; $0.lookbackMs = 6 * 3_600_000
                $0.keepFiringForMs = 600_000
                $0.summary = "{labels.mountpoint} full in {value} h at the rate of the last 6 h"
            },
            rule("gpu_hot", "vitals_gpu_temperature_celsius") {
                $0.warning = c.gpuTemperature.warning; $0.critical = c.gpuTemperature.critical
                $0.clearWarning = c.gpuTemperature.warning - 5; $0.clearCritical = c.gpuTemperature.critical - 5
                $0.forMs = 60_000
                $0.summary = "GPU {labels.gpu} at {value} °C"
            },
            rule("gpu_lost", "vitals_gpus_missing") {
                $0.critical = 0.5
                $0.forMs = 5_000
                $0.summary = "{value} GPU(s) seen before are gone (driver fault, Xid, fell off the bus)"
            },
            rule("sampler_stalled", "vitals_sampler_tick_age_seconds") {
                $0.warning = 5; $0.critical = 30
                $0.summary = "the sampler has not ticked for {value} s"
            },
            rule("history_not_writable", "vitals_history_writable") {
                $0.op = .below; $0.critical = 0.5
                $0.forMs = 30_000
                $0.summary = "the history database cannot be written"
            },
        ]
    }

    /// Where each effective rule came from, for the rules route.
    public enum Source: String, Sendable { case `default`, config, api }

    /// Defaults (unless replaced), then the config's rules, then the operator's; a later
    /// rule of the same name replaces an earlier one; `deleted` names are dropped.
    public static func effective(defaults: [AlertRule], config: [AlertRule], replaceDefaults: Bool,
                                 api: [AlertRule], deleted: Set<String>) -> [(AlertRule, Source)] {
        var out: [(AlertRule, Source)] = replaceDefaults ? [] : defaults.map { ($0, .default) }
        for (list, source) in [(config, Source.config), (api, .api)] {
            for r in list {
                if let i = out.firstIndex(where: { $0.0.name == r.name }) { out[i] = (r, source) } else { out.append((r, source)) }
            }
        }
        return out.filter { !deleted.contains($0.0.name) }
    }
}
