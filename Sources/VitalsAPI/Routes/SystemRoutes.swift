import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET /api/v1/system/stats` and `GET /api/v1/system/health`: the live picture.
struct SystemRoutes: RouteProvider {
    let sampler: Sampler
    let history: HistoryAccess
    let time: any TimeSource
    let startedMs: Int64
    let version: String
    /// Health's thresholds: the built-in rules with the operator's constraints in place.
    let healthRules: @Sendable () -> [HealthRule]
    /// Open connections and the output they owe, read when health is asked.
    let connections: @Sendable () -> ConnectionLoad
    let services: @Sendable () -> [ServiceStatus]
    let forecast: @Sendable () -> (rule: String, subject: String, hours: Double)?
    /// The job scheduler's counts for health.
    let jobs: @Sendable () -> JobStats?

    static let servicesSpec = RouteSpec.get("/api/v1/system/services", tag: "system", "The watched services (config services): up or down, latency, last error, since when")
        .responds(200, "each service's last probe", json: Schema.object(["services": .array(ResponseSchemas.service)]))

    func register(in routes: inout RouteTable) {
        let sampler = self.sampler
        // The hot path: no parameters, so no validation; the bytes were encoded at the tick.
        routes.add(.get("/api/v1/system/stats", tag: "system", "The latest snapshot: host, CPU, memory, disks, network, GPUs")
            .responds(200, "the latest snapshot", json: SnapshotSchema.snapshot)
            .fails(503, "no sample taken yet", .noSampleYet),
                   .inline { _ in
            guard let json = sampler.latest.json else { return CommonResponses.noSampleYet }
            return .json(json)
        })

        let history = self.history, time = self.time, startedMs = self.startedMs, version = self.version, healthRules = self.healthRules
        let connections = self.connections
        let services = self.services, forecast = self.forecast, jobs = self.jobs
        routes.add(.get("/api/v1/system/health", tag: "system", "Whether the daemon is doing its job and the machine is in trouble")
            .responds(200, "status, score, components and warnings", json: ResponseSchemas.health),
                   .inline { _ in
            .json(HealthReport.encode(HealthInputs(
                nowMs: time.wallMs(), startedMs: startedMs, sampler: sampler.health, store: history.store?.health,
                storeOpenError: history.openError, snapshot: sampler.latest.value?.snapshot,
                rssBytes: currentRSSBytes(), version: version, rules: healthRules(), connections: connections(), services: services(), forecast: forecast(), jobs: jobs())))
        })

        routes.add(Self.servicesSpec, .inline { _ in
            let list = services()
            return .json { w in
                w.beginObject(); w.key("services"); w.beginArray()
                for s in list { ServiceJSON.write(s, into: &w) }
                w.endArray(); w.endObject()
            }
        })
    }
}
