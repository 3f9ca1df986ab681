import VitalsSupport
/// Every setting the daemon reads, with its default. `ConfigSchema` maps the keys of
/// config.json (and their `VITALS_*` environment names) onto these fields.
public struct VitalsConfig: Sendable, Equatable {
    // server
    public var listenAddress = "127.0.0.1"
    public var port = 8089
    public var ioThreads = 1
    public var corsOrigins: [String] = []
    /// Extra names the Host header may carry (beyond loopback names and the listen address).
    public var allowedHosts: [String] = []

    // storage
    public var dataDir = "./data"
    public var databaseFile = "vitals.db"

    // sampling
    public var samplingIntervalMs = 500
    public var gpuEnabled = true
    public var nvmlLibrary: String? = nil
    public var gpuProcessIntervalMs = 2000

    // history retention per tier, in ms
    public var retentionRawMs: Int64 = 6 * 3_600_000
    public var retention10sMs: Int64 = 7 * 86_400_000
    public var retention5mMs: Int64 = 90 * 86_400_000

    // limits
    public var maxConnections = 4096
    public var maxHeaderBytes = 16 * 1024
    public var maxBodyBytes = 1024 * 1024
    public var headerTimeoutMs = 10_000
    public var keepAliveTimeoutMs = 30_000
    /// Answers a connection may have waiting for the client to read before its requests
    /// are held back (a pipelining client that does not read cannot grow this).
    public var maxConnectionOutputBytes = 4 * 1024 * 1024
    public var logFormat: LogFormat = .text
    /// Other exporters' series added to /metrics (`node_exporter`, `dcgm`).
    public var metricsCompat: [String] = []
    /// Per client address; 0 turns the limit off.
    public var adminRequestsPerMinute = 1200
    public var authFailuresPerMinute = 10
    /// `VITALS_*` environment variables that name no config key, reported at start.
    public var unknownEnvironment: [String] = []
    /// Answers all connections together may have waiting; past it a connection that still
    /// owes bytes gets no new answer (and is not read) until its client reads.
    public var maxTotalOutputBytes = 64 * 1024 * 1024

    // auth
    public var adminTokens: [String] = []
    public var readTokens: [String] = []
    /// May create and update jobs and add activity, nothing else (`auth.job_tokens`).
    public var jobTokens: [String] = []
    public var tokenFile: String? = nil
    /// Reads need no token even on a non-loopback bind (for a trusted LAN).
    public var openReads = false
    /// Reads need a token even on a loopback bind (a machine shared by several users, where
    /// any of them can reach 127.0.0.1).
    public var loopbackReadsNeedToken = false

    // jobs
    /// How long an admitted job's reservation lasts at most while its process has not yet
    /// allocated all of it (jobs take seconds to minutes to allocate).
    public var jobReservationGraceMs = 120_000
    /// How long a job's pid may be gone from /proc before the job is `lost`.
    public var jobLostGraceMs = 10_000
    /// Finished jobs and activity entries older than this are deleted.
    public var jobRetentionMs: Int64 = 30 * 86_400_000
    public var activityRetentionMs: Int64 = 30 * 86_400_000

    // logging
    public var logLevel: LogLevel = .info

    // websocket
    public var wsEchoEndpoint = false
    public var wsPingIntervalMs = 20_000
    public var wsPongTimeoutMs = 10_000
    public var wsMaxMessageBytes = 64 * 1024
    public var wsMaxQueuedEvents = 256

    // alerts (see AlertOptions)
    public var alertRules: [AlertRule] = []
    public var alertsReplaceDefaults = false
    public var alertWebhooks: [String] = []
    public var alertmanagerURLs: [String] = []
    public var alertsSendResolved = true
    public var alertsRepeatIntervalMs: Int64 = 4 * 3_600_000
    public var alertsRetentionMs: Int64 = 90 * 86_400_000
    public var alertsExternalURL: String? = nil
    public var auditRetentionMs: Int64 = 365 * 86_400_000
    /// The application's own endpoints, probed off the tick (config `services`).
    public var services: [ServiceSpec] = []

    public init() {}

    public var alertOptions: AlertOptions {
        var o = AlertOptions()
        o.configRules = alertRules
        o.replaceDefaults = alertsReplaceDefaults
        o.webhooks = alertWebhooks
        o.alertmanagerURLs = alertmanagerURLs
        o.sendResolved = alertsSendResolved
        o.repeatIntervalMs = alertsRepeatIntervalMs
        o.retentionMs = alertsRetentionMs
        let host = listenAddress == "0.0.0.0" || listenAddress == "::" ? "127.0.0.1" : listenAddress
        o.externalURL = alertsExternalURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        return o
    }

    public var databasePath: String {
        databaseFile.hasPrefix("/") ? databaseFile : (dataDir.hasSuffix("/") ? dataDir : dataDir + "/") + databaseFile
    }

    /// Host names requests may carry, or nil for any. On a loopback bind only loopback names
    /// (and configured ones) are answered, which defeats DNS rebinding; elsewhere tokens
    /// guard reads, and the list applies only when configured.
    public var hostAllowlist: Set<String>? {
        if !isLoopbackBind && allowedHosts.isEmpty { return nil }
        var names: Set<String> = ["localhost", "127.0.0.1", "[::1]"]
        names.insert(listenAddress.contains(":") ? "[\(listenAddress.lowercased())]" : listenAddress.lowercased())
        for h in allowedHosts { names.insert(h.lowercased()) }
        return names
    }

    /// True for 127.0.0.0/8, ::1 and "localhost": the only binds where reads are open by default.
    public var isLoopbackBind: Bool {
        listenAddress == "localhost" || listenAddress == "::1" || listenAddress.hasPrefix("127.")
    }
}
