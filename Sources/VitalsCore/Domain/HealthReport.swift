import VitalsSupport
import Glibc

/// `GET /api/v1/system/health`: is the daemon doing its job, and is the machine in trouble?
/// Status and a 0-100 score, components, and warnings that say what to do about them.
public struct HealthInputs: Sendable {
    public var nowMs: Int64
    public var startedMs: Int64
    public var sampler: SamplerHealth
    public var store: StoreHealth?
    public var storeOpenError: String?
    public var snapshot: Snapshot?
    public var rssBytes: UInt64?
    public var version: String
    /// The thresholds checked on the snapshot.
    public var rules: [HealthRule]
    public var connections: ConnectionLoad?
    /// The watched services (config `services`); each down one is a warning.
    public var services: [ServiceStatus] = []
    /// The nearest "full within" forecast of the alert engine: what, where, hours left.
    public var forecast: (rule: String, subject: String, hours: Double)? = nil
    /// The job scheduler's counts, where jobs are served.
    public var jobs: JobStats? = nil

    public init(nowMs: Int64, startedMs: Int64, sampler: SamplerHealth, store: StoreHealth?, storeOpenError: String?,
                snapshot: Snapshot?, rssBytes: UInt64?, version: String, rules: [HealthRule] = HealthRules.defaults,
                connections: ConnectionLoad? = nil, services: [ServiceStatus] = [],
                forecast: (rule: String, subject: String, hours: Double)? = nil, jobs: JobStats? = nil) {
        self.services = services; self.forecast = forecast; self.jobs = jobs
        self.nowMs = nowMs; self.startedMs = startedMs; self.sampler = sampler; self.store = store
        self.storeOpenError = storeOpenError; self.snapshot = snapshot; self.rssBytes = rssBytes; self.version = version
        self.rules = rules
        self.connections = connections
    }
}

/// Open connections and the answers they owe clients, against the total bound.
public struct ConnectionLoad: Sendable, Equatable {
    public var open: Int
    public var outputBytes: Int
    public var maxOutputBytes: Int
    /// Memory the connections' buffers hold (capacity, not content), as of the last sweep.
    public var bufferBytes: Int

    public init(open: Int, outputBytes: Int, maxOutputBytes: Int, bufferBytes: Int = 0) {
        self.open = open; self.outputBytes = outputBytes; self.maxOutputBytes = maxOutputBytes
        self.bufferBytes = bufferBytes
    }

    /// "ok", "pressure" from 80 % of the bound (clients are not reading their answers), and
    /// "exhausted" at the bound (connections that owe bytes get no new answers).
    public var status: String {
        if outputBytes >= maxOutputBytes { return "exhausted" }
        return outputBytes * 5 >= maxOutputBytes * 4 ? "pressure" : "ok"
    }
}

public enum HealthReport {
    /// How long a failed query or save keeps the database component "failing".
    public static let failureWindowMs: Int64 = 60_000

    public static func encode(_ h: HealthInputs) -> [UInt8] {
        var warnings: [HealthWarning] = []
        let tickAge = h.sampler.lastTickWallMs.map { h.nowMs - $0 }
        let samplerOK = tickAge.map { $0 <= Int64(h.sampler.intervalMs) * 3 + 250 } ?? false
        if !samplerOK {
            warnings.append(HealthWarning(component: "sampler", severity: "critical",
                                    message: tickAge.map { "no sample for \($0) ms" } ?? "no sample taken yet",
                                    suggestion: "check the log for sampler errors; live stats are stale", penalty: 50))
        }
        var dbOK = false
        if let err = h.storeOpenError {
            warnings.append(HealthWarning(component: "database", severity: "critical", message: "database not open: \(err)",
                                    suggestion: "check storage.data_dir exists and is writable; history is not being kept", penalty: 30))
        } else if let s = h.store {
            // A query or save that failed lately means the file is in trouble even when the
            // last batch went in (a page damaged in the middle of the file).
            let recentFailure = s.lastFailure.flatMap { h.nowMs - $0.ts < HealthReport.failureWindowMs ? $0 : nil }
            dbOK = s.writable && recentFailure == nil
            if !s.writable {
                warnings.append(HealthWarning(component: "database", severity: "critical",
                                        message: "history writes failing: \(s.lastError ?? "unknown error")",
                                        suggestion: "free disk space or fix permissions on \(s.path); \(s.pendingSamples) samples are held in memory meanwhile", penalty: 30))
            } else if let f = recentFailure {
                warnings.append(HealthWarning(component: "database", severity: "critical",
                                        message: "history queries or saves failing: \(f.message)",
                                        suggestion: "the file may be damaged: stop vitals, keep a copy of \(s.path), then recover it with `sqlite3 \(s.path) .recover` or move it aside", penalty: 30))
            }
        }
        if let c = h.connections, c.status != "ok" {
            let mib = { (b: Int) in String(b / 1_048_576) + " MiB" }
            warnings.append(HealthWarning(component: "connections", severity: c.status == "exhausted" ? "critical" : "warning",
                                          message: "\(mib(c.outputBytes)) of answers wait for clients that do not read (bound \(mib(c.maxOutputBytes)), \(c.open) connections)",
                                          suggestion: c.status == "exhausted"
                                            ? "clients that owe reads get no new answers; find them with ss -tnp state established '( sport = :PORT )' or raise limits.max_total_output_bytes"
                                            : "some clients pipeline requests without reading; limits.max_total_output_bytes caps the memory they can hold",
                                          penalty: c.status == "exhausted" ? 20 : 5))
        }
        if let snap = h.snapshot {
            warnings += HealthRules.evaluate(h.rules, on: snap)
        }
        for s in h.services where s.up == false {
            warnings.append(HealthWarning(component: "services", severity: "critical",
                                          message: "service \(s.spec.name) (\(s.spec.targetText)) down: \(s.lastError ?? "no answer")",
                                          suggestion: "check the service's own log; GET /api/v1/system/services has the last probe", penalty: 10))
        }
        let score = max(0, 100 - warnings.reduce(0) { $0 + $1.penalty })
        let status = warnings.contains { $0.severity == "critical" } ? (samplerOK ? "degraded" : "critical")
            : (warnings.isEmpty ? "ok" : "warning")

        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("status", status)
        w.field("score", score)
        w.field("timestamp", TimeFormat.iso8601(ms: h.nowMs))
        w.key("components"); w.beginObject()
        w.key("sampler"); w.beginObject()
        w.field("status", samplerOK ? "ok" : "stale")
        w.field("last_tick_age_ms", tickAge)
        w.field("interval_ms", h.sampler.intervalMs)
        w.field("ticks", h.sampler.ticks)
        w.field("last_cost_us", h.sampler.lastCostMicros, decimals: 1)
        w.field("avg_cost_us", h.sampler.avgCostMicros, decimals: 1)
        // Each reader's last run, so a broken one is visible, not just a gap in the stats.
        w.key("collectors"); w.beginArray()
        for c in h.sampler.collectors {
            w.beginObject()
            w.field("name", c.name)
            w.field("success", c.success)
            w.field("duration_us", c.durationSeconds * 1e6, decimals: 1)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        w.key("database"); w.beginObject()
        w.field("status", dbOK ? "ok" : "failing")
        w.field("writable", dbOK)
        w.field("path", h.store?.path)
        w.field("last_error", h.storeOpenError ?? h.store?.lastError)
        w.field("last_flush_ts", h.store?.lastFlushTs)
        w.field("pending_samples", h.store?.pendingSamples)
        w.field("memory_bytes", h.store?.memoryBytes)
        w.field("last_failure", h.store?.lastFailure?.message)
        w.field("last_failure_ts", h.store?.lastFailure?.ts)
        w.endObject()
        if let c = h.connections {
            w.key("connections"); w.beginObject()
            w.field("status", c.status)
            w.field("open", c.open)
            w.field("output_bytes", c.outputBytes)
            w.field("max_output_bytes", c.maxOutputBytes)
            w.field("buffer_bytes", c.bufferBytes)
            w.endObject()
        }
        if let j = h.jobs {
            w.key("jobs"); w.beginObject()
            w.field("status", "ok")
            w.field("running", j.running)
            w.field("queued", j.queued)
            w.field("admitted_total", j.admitted)
            w.field("refused_total", j.refused)
            w.key("ended_total"); w.beginObject()
            for st in JobState.ended { w.field(st.rawValue, j.endedByState[st] ?? 0) }
            w.endObject()
            w.field("completed_last_hour", j.completedLastHour)
            w.key("reserved_bytes"); w.beginObject()
            for (gpu, bytes) in j.reservedBytes.sorted(by: { $0.key < $1.key }) { w.field(String(gpu), bytes) }
            w.endObject()
            w.endObject()
        }
        w.key("gpu")
        GPUSummaryJSON.write(&w, h.snapshot?.gpu)
        w.key("daemon"); w.beginObject()
        w.field("status", "ok")
        w.field("version", h.version)
        w.field("uptime_s", Double(h.nowMs - h.startedMs) / 1000, decimals: 1)
        w.field("rss_bytes", h.rssBytes)
        w.endObject()
        if !h.services.isEmpty {
            w.key("services"); w.beginArray()
            for s in h.services { ServiceJSON.write(s, into: &w) }
            w.endArray()
        }
        w.endObject()
        w.key("forecast")
        if let f = h.forecast {
            w.beginObject(); w.field("rule", f.rule); w.field("subject", f.subject); w.field("hours_left", f.hours, decimals: 1); w.endObject()
        } else {
            w.null()
        }
        w.key("warnings"); w.beginArray()
        for x in warnings {
            w.beginObject()
            w.field("component", x.component)
            w.field("severity", x.severity)
            w.field("message", x.message)
            w.field("suggestion", x.suggestion)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}

/// One service's last probe, as health and the services route show it.
public enum ServiceJSON {
    public static func write(_ s: ServiceStatus, into w: inout JSONWriter) {
        w.beginObject()
        w.field("name", s.spec.name)
        w.field("target", s.spec.targetText)
        w.field("status", s.up.map { $0 ? "up" : "down" } ?? "unknown")
        w.field("latency_ms", s.latencyMs, decimals: 1)
        w.field("last_error", s.lastError)
        w.field("since", s.sinceMs.map { TimeFormat.iso8601(ms: $0) })
        w.field("last_check", s.lastCheckMs.map { TimeFormat.iso8601(ms: $0) })
        w.endObject()
    }
}

enum GPUSummaryJSON {
    static func write(_ w: inout JSONWriter, _ gpu: GPUStatus?) {
        w.beginObject()
        switch gpu {
        case .none:
            w.field("status", "unknown"); w.field("available", false)
        case .unavailable(let reason)?:
            w.field("status", "unavailable"); w.field("available", false); w.field("reason", reason)
        case .available(let driver, _, _, let devices)?:
            w.field("status", "ok"); w.field("available", true); w.field("count", devices.count); w.field("driver_version", driver)
        }
        w.endObject()
    }
}

/// This process's resident memory, from /proc/self/statm (pages × page size).
public func currentRSSBytes() -> UInt64? {
    guard let bytes = SmallFile.read("/proc/self/statm") else { return nil }
    let fields = String(decoding: bytes, as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = UInt64(fields[1]) else { return nil }
    return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
}
