import VitalsSupport
import VitalsTransport
import VitalsDashboard
import VitalsCore
import Glibc
import Synchronization

/// Builds the daemon from its config: store, sampler, routes, server. `main` and the
/// integration tests both start Vitals through this type.
public final class VitalsApp: Sendable {
    public static let version = "0.1.0"

    public let config: VitalsConfig
    public let sampler: Sampler
    public let store: HistoryStore?
    public let storeOpenError: String?
    /// Tokens can change on a reload (SIGHUP): read per request from here.
    private let authBox: Locked<AuthPolicy>
    public var auth: AuthPolicy { authBox.value }
    /// Per-client limits around the token check; the server's authorizer, and the index on `/`.
    private let limits: RateLimits
    /// The config in force: `config` as started, then each reload's.
    private let currentConfig: Locked<VitalsConfig>
    /// WebSocket topics: other parts of the daemon publish events here.
    public let hub: TopicHub
    public let topics: VitalsTopics
    public let startedMs: Int64
    let processTable: ProcessTable
    /// The one clock every part reads (a `ManualTime` in tests).
    public let time: any TimeSource
    /// Most GPUs seen since start, so their history stays queryable if one drops out.
    let gpuCountSeen = MaxCounter()
    /// `/metrics`, rendered once per tick from the metric table plus the daemon's own figures.
    public let metrics: MetricsCache
    /// Requests by route, method and status, and their durations, counted by the HTTP server.
    let httpMetrics = HTTPMetrics()
    /// Output owed to clients across all connections; health reports its pressure.
    public let outputBudget: OutputBudget
    private let serverBox = Mutex<HTTPServer?>(nil)
    private let watchdogBox = Mutex<SystemdWatchdog?>(nil)
    /// The GPU memory advisor's settings and the resource constraints, kept in the database.
    let advisor: AdvisorState
    /// The machine's story: stored, and published on the `activity` topic.
    public let activity: ActivityLog
    /// Jobs the host application reports: admission, queue, progress.
    public let jobs: JobScheduler
    /// Rules, alert states, acknowledgements and notifications (see AlertService).
    public let alerts: AlertService
    /// The application's own endpoints (config `services`), probed off the tick.
    public let services: ServiceProber
    /// Admin actions and refusals on admin routes.
    public let audit: AuditLog

    /// - Parameters: `procRoot`/`sysRoot` point the readers at fixture trees in tests;
    ///   `time` is the clock every part reads; `auth` replaces the policy built from config
    ///   (tests need token-protected reads without binding a non-loopback address);
    ///   `statfs` replaces statvfs (fixture trees name mount points this machine lacks).
    public init(config: VitalsConfig, procRoot: String = "/proc", sysRoot: String = "/sys",
                time: any TimeSource = SystemTime(), auth: AuthPolicy? = nil,
                statfs: @escaping (String) -> FilesystemStat? = HostSampler.systemStatfs) throws(ConfigError) {
        self.config = config
        self.time = time
        self.startedMs = time.wallMs()
        self.outputBudget = OutputBudget(limitBytes: config.maxTotalOutputBytes)
        guard makeDirectories(config.dataDir) else {
            throw ConfigError("config: storage.data_dir = \"\(config.dataDir)\": cannot create directory (\(String(cString: strerror(errno))))")
        }
        let policy: AuthPolicy
        if let auth { policy = auth } else { policy = try AuthPolicy.load(config) }
        let policyBox = Locked(policy)
        authBox = policyBox
        currentConfig = Locked(config)

        // A database that cannot be opened must not stop live stats: health reports it.
        var openError: String? = nil
        var store: HistoryStore? = nil
        do {
            store = try HistoryStore(path: config.databasePath, tiers: [
                HistoryTier(name: "raw", stepMs: Int64(config.samplingIntervalMs), retentionMs: config.retentionRawMs),
                HistoryTier(name: "10s", stepMs: 10_000, retentionMs: config.retention10sMs),
                HistoryTier(name: "5m", stepMs: 300_000, retentionMs: config.retention5mMs),
            ], time: time)
        } catch StoreError.inUse(let path) {
            // Two daemons on one directory would fight over the history: refuse to start.
            throw ConfigError("another vitals is using \(path); stop it, or give this one its own storage.data_dir")
        } catch {
            openError = "\(error)"
            Log.error("history database unavailable; live stats continue without history", ["path": config.databasePath, "error": "\(error)"])
        }
        self.store = store
        self.storeOpenError = openError

        let nvmlPath = config.nvmlLibrary
        var gpu: (@Sendable () -> NVMLReader)? = nil
        if config.gpuEnabled {
            gpu = { @Sendable in NVMLReader(libraryPath: nvmlPath, time: time) }
        }
        processTable = ProcessTable(procRoot: procRoot, time: time)
        let sampler = Sampler(intervalMs: config.samplingIntervalMs,
                              host: HostSampler(procRoot: procRoot, sysRoot: sysRoot, statfs: statfs),
                              gpu: gpu, gpuProcessIntervalMs: config.gpuProcessIntervalMs,
                              gpuPower: PCIPowerReader(sysRoot: sysRoot), time: time)
        self.sampler = sampler
        let seenGPUs = gpuCountSeen
        let hub = TopicHub(time: time)
        self.hub = hub
        let topics = VitalsTopics(hub: hub)
        self.topics = topics
        let activity = ActivityLog(store: store, time: time, retentionMs: config.activityRetentionMs) { entry in
            hub.publish(topics.activity, data: entry)
        }
        self.activity = activity
        // The constraints feed the default alert rules; the alert service is made after the
        // advisor (it needs the constraints), so the advisor reaches it through a box.
        let alertsBox = Locked<AlertService?>(nil)
        let advisorBox = Locked<AdvisorState?>(nil)
        let advisor = AdvisorState(store: store, activity: activity) { kind in
            if kind == "constraints_updated", let a = advisorBox.value { alertsBox.value?.constraintsChanged(a.constraints) }
        }
        advisorBox.set(advisor)
        self.advisor = advisor
        var jobOptions = JobScheduler.Options()
        jobOptions.reservationGraceMs = Int64(config.jobReservationGraceMs)
        jobOptions.lostGraceMs = Int64(config.jobLostGraceMs)
        jobOptions.retentionMs = config.jobRetentionMs
        jobOptions.procRoot = procRoot
        jobs = JobScheduler(store: store, time: time, activity: activity, options: jobOptions,
                            inputs: .init(snapshot: { sampler.latest.value?.snapshot }, constraints: { advisor.constraints },
                                          settings: { advisor.optimization.settings }),
                            outputs: .init(progress: { hub.publish(topics.generationProgress, data: $0) },
                                           queue: { hub.publish(topics.queueUpdates, data: $0) }))
        // Listeners run in this order on the sampler thread: the WebSocket fan-out first,
        // since its subscribers' delay counts from the tick; history only queues a batch.
        sampler.onSnapshot { snap, json in
            seenGPUs.noteCount(snap.gpu.devices.count)
            hub.publish(topics.systemStats, data: json, ts: snap.ts)
        }
        if let store { sampler.addListener(HistoryListener(store: store)) }
        sampler.addListener(jobs)
        sampler.addListener(GPUActivityListener(activity: activity))
        let gpuEnabled = config.gpuEnabled
        let signals: [String: AlertEngine.Signal] = [
            "vitals_sampler_tick_age_seconds": { [sampler] in
                sampler.health.lastTickWallMs.map { Double(time.wallMs() - $0) / 1000 }
            },
            "vitals_history_writable": { [store] in (store?.health.writable ?? false) ? 1 : 0 },
            "vitals_gpus_missing": { [sampler] in
                guard gpuEnabled, let snap = sampler.latest.value?.snapshot else { return nil }
                return Double(max(0, seenGPUs.current - snap.gpu.devices.count))
            },
        ]
        let services = ServiceProber(specs: config.services, time: time)
        self.services = services
        let alerts = AlertService(options: config.alertOptions, store: store, time: time, constraints: advisor.constraints,
                                  signals: signals.merging(services.signals) { a, _ in a }, hostname: "",
                                  extraDefaults: ServiceProber.defaultRules(config.services),
                                  publish: { bytes in _ = hub.publish(topics.alerts, data: bytes) },
                                  activity: { kind, message, labels in activity.record(kind: kind, message: message, labels: labels) })
        self.alerts = alerts
        let audit = AuditLog(store: store, time: time, retentionMs: config.auditRetentionMs)
        self.audit = audit
        limits = RateLimits(adminPerMinute: config.adminRequestsPerMinute,
                            authFailuresPerMinute: config.authFailuresPerMinute, time: time,
                            onAdminRefusal: { req, status in
                                audit.record(who: policyBox.value.who(req), remote: req.remoteAddress, method: req.method,
                                             route: req.path, status: status, before: nil, after: nil)
                            })
        alertsBox.set(alerts)
        sampler.addListener(alerts.engine)
        metrics = MetricsCache(samplerHealth: { [sampler] in sampler.health },
                               compat: Set(config.metricsCompat.compactMap(MetricsCompat.init(rawValue:))))
        let http = httpMetrics
        let wsStats = hub.stats
        let historyStore = store
        metrics.addSection { w in writeHistoryMetrics(historyStore, into: &w) }
        metrics.addSection { w in http.write(into: &w) }
        metrics.addSection { w in writeWebSocketMetrics(wsStats, into: &w) }
        let jobs = self.jobs
        metrics.addSection { w in writeJobMetrics(jobs.stats, into: &w) }
        let alertEngine = alerts.engine
        metrics.addSection { w in writeAlertMetrics(alertEngine, into: &w) }
        if !config.services.isEmpty {
            metrics.addSection { w in
                let list = services.statuses
                w.family("vitals_service_up", help: "1 when the watched service answered its last probe as expected, else 0.", kind: .gauge)
                for s in list { if let up = s.up { w.sample(labels: [("service", s.spec.name)], up ? 1 : 0) } }
                w.family("vitals_service_probe_duration_seconds", help: "How long the last probe of the service took.", kind: .gauge, unit: .seconds)
                for s in list { if let l = s.latencyMs { w.sample(labels: [("service", s.spec.name)], l / 1000) } }
            }
        }
        sampler.addListener(metrics)
    }

    public var server: HTTPServer? { serverBox.withLock { $0 } }

    /// Every route, each group built from only what it needs. The index and OpenAPI
    /// documents are derived from the finished table, so the order here does not matter.
    public func makeRoutes() -> RouteTable {
        let history = HistoryAccess(store: store, openError: storeOpenError)
        let seenGPUs = gpuCountSeen
        var routes = RouteTable()
        let advisor = self.advisor
        let budget = outputBudget
        // Weak: the routes live inside the server this app owns.
        let connections: @Sendable () -> ConnectionLoad = { [weak self] in
            ConnectionLoad(open: self?.server?.connectionCount ?? 0,
                           outputBytes: budget.usedBytes, maxOutputBytes: budget.limitBytes,
                           bufferBytes: self?.server?.connectionBufferBytes ?? 0)
        }
        let services = self.services, alerts = self.alerts, engine = alerts.engine
        routes.add(SystemRoutes(sampler: sampler, history: history, time: time, startedMs: startedMs, version: Self.version,
                                healthRules: { advisor.healthRules }, connections: connections,
                                services: { services.statuses }, forecast: { engine.nearestForecast() },
                                jobs: { [jobs] in jobs.stats }))
        routes.add(OptimizationRoutes(sampler: sampler, advisor: advisor, history: history, time: time))
        routes.add(ConstraintRoutes(sampler: sampler, advisor: advisor))
        routes.add(HistoryRoutes(sampler: sampler, history: history, time: time,
                                 validMetrics: { MetricTable.historyNames(gpuCount: seenGPUs.current) }))
        routes.add(SavedSnapshotRoutes(history: history))
        routes.add(JobRoutes(scheduler: jobs, advisor: advisor))
        routes.add(ActivityRoutes(activity: activity))
        routes.add(AlertRoutes(alerts: alerts, history: history, time: time, auth: auth))
        routes.add(AuditRoutes(log: audit, history: history))
        routes.add(TrendRoutes(history: history, time: time, validMetrics: { MetricTable.historyNames(gpuCount: seenGPUs.current) }))
        routes.add(ProcessRoutes(processTable: processTable, sampler: sampler, time: time))
        routes.add(IndexRoutes(version: Self.version, readsNeedToken: auth.readsNeedToken))
        routes.add(MetricsRoutes(metrics: metrics))
        let authBox = self.authBox, limits = self.limits
        routes.add(DashboardRoutes(assets: EmbeddedAssets.assets, version: Self.version, authorizeRead: { req in
            limits.authorize(req, AuthContext(access: .read, isUpgrade: false), policy: authBox.value)
        }))
        routes.add(WebSocketRoutes(hub: hub, settings: webSocketSettings, corsOrigins: Set(config.corsOrigins),
                                   echoEndpoint: config.wsEchoEndpoint))
        // Last, so every admin route of every provider is audited, with the state it changes
        // before and after where that state is known.
        routes.auditing(audit, auth: auth) { spec in
            if spec.path.hasPrefix("/api/v1/alerts/rules") {
                return { AlertRuleCodec.document(alerts.rules().map(\.0)) }
            }
            switch spec.path {
            case "/api/v1/system/optimization", "/api/v1/optimization/apply-preset/{id}":
                return { let o = advisor.optimization; return AdvisorJSON.document(o.settings, o.workload) }
            case "/api/v1/system/constraints":
                return { AdvisorJSON.constraints(advisor.constraints) }
            default:
                return nil
            }
        }
        return routes
    }

    public func makeRouter() -> Router { makeRoutes().makeRouter() }

    var webSocketSettings: WebSocketSettings {
        WebSocketSettings(maxMessageBytes: config.wsMaxMessageBytes, pingIntervalMs: Int64(config.wsPingIntervalMs),
                          pongTimeoutMs: Int64(config.wsPongTimeoutMs), maxQueuedEvents: config.wsMaxQueuedEvents)
    }

    /// Starts sampling (first sample taken before listening) and serving; returns the port.
    @discardableResult
    public func start(samplerThread: Bool = true) throws(SocketError) -> Int {
        if samplerThread {
            sampler.start()
        } else {
            sampler.tick(wallMs: time.wallMs(), monoNs: time.monotonicNs(), withGPU: false)
        }
        var o = HTTPServerOptions()
        o.host = config.listenAddress
        o.port = config.port
        o.ioThreads = config.ioThreads
        o.maxConnections = config.maxConnections
        o.maxHeaderBytes = config.maxHeaderBytes
        o.maxBodyBytes = config.maxBodyBytes
        o.headerTimeoutMs = config.headerTimeoutMs
        o.keepAliveTimeoutMs = config.keepAliveTimeoutMs
        o.maxConnectionOutputBytes = config.maxConnectionOutputBytes
        o.outputBudget = outputBudget
        o.corsOrigins = Set(config.corsOrigins)
        o.allowedHosts = config.hostAllowlist
        alerts.start()
        services.start()
        let router = makeRouter()
        let http = httpMetrics
        http.install(routes: router.all.map(\.pattern))
        o.observer = { http.record($0) }
        let authBox = self.authBox, limits = self.limits
        let server = HTTPServer(options: o, router: router, authorize: { req, ctx in limits.authorize(req, ctx, policy: authBox.value) })
        let port = try server.start()
        serverBox.withLock { $0 = server }
        activity.record(kind: "daemon_started", message: "vitals \(Self.version) started on port \(port)", labels: ["version": Self.version])
        if let (socket, periodMs) = SystemdWatchdog.periodFromEnvironment() {
            startWatchdog(socketPath: socket, periodMs: periodMs, port: port)
        }
        return port
    }

    /// What a reload (SIGHUP) applied, and what changed but only takes effect on a restart.
    public struct ReloadOutcome: Sendable {
        public var applied: [String]
        public var needRestart: [String]
    }

    /// Keys a reload applies in place; every other changed key waits for a restart.
    static let reloadableKeys: Set<String> = ["log.level", "log.format", "auth.admin_tokens", "auth.read_tokens",
                                               "auth.token_file", "auth.open_reads", "auth.loopback_reads_need_token"]

    /// Applies a newly loaded config: log level and format, and tokens (the token file is
    /// read again). An invalid one (unreadable token file, say) throws and changes nothing.
    public func reload(_ new: VitalsConfig) throws(ConfigError) -> ReloadOutcome {
        let old = currentConfig.value
        let changed = ConfigLoader.changedKeys(from: old, to: new)
        let newAuth = try AuthPolicy.load(new)
        let tokensBefore = auth
        Log.setLevel(new.logLevel)
        Log.setFormat(new.logFormat)
        authBox.set(newAuth)
        currentConfig.set(new)
        var applied = changed.filter { Self.reloadableKeys.contains($0) }
        // The token file's content may change with the same path.
        if !applied.contains(where: { $0.hasPrefix("auth.") }) && !tokensBefore.sameTokens(as: newAuth) {
            applied.append("auth.token_file (content)")
        }
        return ReloadOutcome(applied: applied, needRestart: changed.filter { !Self.reloadableKeys.contains($0) })
    }

    /// Pings systemd's watchdog while the sampler ticks (see SystemdWatchdog).
    public func startWatchdog(socketPath: String, periodMs: Int64, port: Int) {
        let sampler = self.sampler, time = self.time, hub = self.hub
        let dog = SystemdWatchdog(socketPath: socketPath, periodMs: periodMs, isTicking: {
            let h = sampler.health
            guard let last = h.lastTickWallMs else { return false }
            return time.wallMs() - last <= Int64(h.intervalMs) * 3 + 250
        }, status: {
            Self.statusLine(port: port, snapshot: sampler.latest.value?.snapshot, webSocketClients: hub.stats.open)
        })
        watchdogBox.withLock { $0?.stop(); $0 = dog }
        dog.start()
    }

    /// The one line `systemctl status vitals` shows.
    static func statusLine(port: Int, snapshot: Snapshot?, webSocketClients: Int) -> String {
        var parts = ["serving on port \(port)"]
        switch snapshot?.gpu {
        case .available(_, _, _, let devices)?: parts.append("\(devices.count) GPU\(devices.count == 1 ? "" : "s")")
        case .unavailable(let reason)?: parts.append("no GPU (\(reason))")
        case nil: break
        }
        if let cpu = snapshot?.reading.cpu?.percent { parts.append("CPU \(Int(cpu.rounded()))%") }
        if let mem = snapshot?.reading.memory?.percent { parts.append("RAM \(Int(mem.rounded()))%") }
        parts.append("\(webSocketClients) WebSocket client\(webSocketClients == 1 ? "" : "s")")
        return parts.joined(separator: "; ")
    }

    /// Stops serving (WebSocket clients get 1001 going away), stops the sampler, and writes
    /// what history is still pending. Returns what the store could not write (nil without a
    /// store, or when it was already closed).
    @discardableResult
    public func stop() -> HistoryCloseReport? {
        watchdogBox.withLock { $0 }?.stop()
        serverBox.withLock { $0 }?.stop()
        sampler.stop()
        jobs.flush()
        services.stop()
        alerts.stop()
        if store?.isOpen ?? true { activity.record(kind: "daemon_stopped", message: "vitals stopped") }
        audit.drain()
        return store?.close()
    }
}

/// Whether history is being kept: 0 when the database could not be opened or its last
/// write failed (samples are then held in memory, see `HistoryStore`), so a scraper can
/// alert on it.
func writeHistoryMetrics(_ store: HistoryStore?, into w: inout ExpositionWriter) {
    w.family("vitals_history_writable",
             help: "1 while the history database takes writes, 0 when it could not be opened or its last write failed.",
             kind: .gauge)
    w.sample(store?.health.writable == true ? 1 : 0)
}

/// `mkdir -p`; the last directory (the data directory) is private to the daemon's user.
func makeDirectories(_ path: String) -> Bool {
    var current = path.hasPrefix("/") ? "" : "."
    let parts = path.split(separator: "/")
    for (i, part) in parts.enumerated() {
        current += "/" + part
        if mkdir(current, i == parts.count - 1 ? 0o700 : 0o755) != 0 && errno != EEXIST { return false }
    }
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// A monotonically rising count shared between the sampler and HTTP threads.
final class MaxCounter: Sendable {
    private let value = Atomic<Int>(0)
    func noteCount(_ n: Int) {
        var current = value.load(ordering: .relaxed)
        while n > current {
            let (exchanged, original) = value.compareExchange(expected: current, desired: n, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
    var current: Int { value.load(ordering: .relaxed) }
}
