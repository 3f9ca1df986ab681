import VitalsSupport
/// One line that names the key, the value and what is allowed, e.g.
/// `config: server.port = 70000: must be an integer from 1 to 65535`.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A key of config.json: its dotted path, what it accepts, and how it sets the config.
struct ConfigKey: Sendable {
    let path: String
    let allowed: String
    /// Applies a JSON value; returns false when the value is not allowed.
    let apply: @Sendable (inout VitalsConfig, JSONValue) -> Bool
    /// Reads the same setting from an environment string (VITALS_SERVER_PORT=...).
    let fromEnv: @Sendable (String) -> JSONValue?
    /// The effective value, as config.json would hold it (`vitals check-config`).
    let get: @Sendable (VitalsConfig) -> JSONValue

    var envName: String {
        "VITALS_" + path.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
    }
}

/// Builders for the kinds of value config.json holds.
enum ConfigKind {
    static func int(_ path: String, _ range: ClosedRange<Int>, _ field: WritableKeyPath<VitalsConfig, Int> & Sendable) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be an integer from \(range.lowerBound) to \(range.upperBound)",
                  apply: { c, v in
                      guard let i = v.intValue, range.contains(i) else { return false }
                      c[keyPath: field] = i; return true
                  },
                  fromEnv: { s in Double(s).map(JSONValue.number) ?? .string(s) },
                  get: { .number(Double($0[keyPath: field])) })
    }

    static func bool(_ path: String, _ field: WritableKeyPath<VitalsConfig, Bool> & Sendable) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be true or false",
                  apply: { c, v in
                      guard let b = v.boolValue else { return false }
                      c[keyPath: field] = b; return true
                  },
                  fromEnv: { s in
                      switch s.lowercased() {
                      case "true", "1", "yes", "on": return .bool(true)
                      case "false", "0", "no", "off": return .bool(false)
                      default: return .string(s)
                      }
                  },
                  get: { .bool($0[keyPath: field]) })
    }

    static func string(_ path: String, _ allowed: String, nullable: Bool = false,
                       _ valid: @escaping @Sendable (String) -> Bool = { !$0.isEmpty },
                       get: @escaping @Sendable (VitalsConfig) -> String?,
                       _ set: @escaping @Sendable (inout VitalsConfig, String?) -> Void) -> ConfigKey {
        ConfigKey(path: path, allowed: allowed + (nullable ? " (or null)" : ""),
                  apply: { c, v in
                      if case .null = v, nullable { set(&c, nil); return true }
                      guard let s = v.stringValue, valid(s) else { return false }
                      set(&c, s); return true
                  },
                  fromEnv: { s in nullable && (s.isEmpty || s == "null") ? .null : .string(s) },
                  get: { c in get(c).map(JSONValue.string) ?? .null })
    }

    static func stringList(_ path: String, _ allowed: String, _ valid: @escaping @Sendable (String) -> Bool,
                           _ field: WritableKeyPath<VitalsConfig, [String]> & Sendable) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be a list of " + allowed,
                  apply: { c, v in
                      guard let a = v.arrayValue else { return false }
                      var out: [String] = []
                      for item in a {
                          guard let s = item.stringValue, valid(s) else { return false }
                          out.append(s)
                      }
                      c[keyPath: field] = out; return true
                  },
                  fromEnv: { s in
                      .array(s.split(separator: ",").map { .string(String($0).trimmedWhitespace) })
                  },
                  get: { .array($0[keyPath: field].map(JSONValue.string)) })
    }

    /// "90s", "30m", "6h", "7d" (or a number of seconds), within `range` ms.
    static func duration(_ path: String, _ range: ClosedRange<Int64>, _ field: WritableKeyPath<VitalsConfig, Int64> & Sendable) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be a duration like \"90s\", \"30m\", \"6h\" or \"7d\" from \(formatDuration(range.lowerBound)) to \(formatDuration(range.upperBound))",
                  apply: { c, v in
                      let ms: Int64?
                      switch v {
                      case .string(let s): ms = parseDuration(s)
                      case .number(let d) where d.isFinite && d > 0 && d < 1e12: ms = Int64(d * 1000)
                      default: ms = nil
                      }
                      guard let ms, range.contains(ms) else { return false }
                      c[keyPath: field] = ms; return true
                  },
                  fromEnv: { .string($0) },
                  get: { .string(formatDuration($0[keyPath: field])) })
    }

    /// `alerts.rules`: a list of rules in the rules route's shape, added to the defaults
    /// (or replacing one of the same name).
    static func alertRules(_ path: String) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be a list of rules as POST /api/v1/alerts/rules takes them (see README, Alerts)",
                  apply: { c, v in
                      let known = { (n: String) in AlertEngine.isKnown(n, signals: AlertDefaults.signalNames) }
                      switch AlertRuleCodec.parseList(v, at: path, known: known) {
                      case .success(let r): c.alertRules = r; return true
                      case .failure(let issue):
                          Log.error("config: \(issue.message)")
                          return false
                      }
                  },
                  fromEnv: { s in (try? JSONValue.parse(Array(s.utf8))) ?? .string(s) },
                  get: { c in (try? JSONValue.parse(AlertRuleCodec.document(c.alertRules))) ?? .array([]) })
    }

    /// `services`: `[{"name", "url" | "tcp", "expect_status", "interval", "timeout"}]`.
    static func services(_ path: String) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be a list of {\"name\", \"url\": \"http://...\" or \"tcp\": \"host:port\", \"expect_status\", \"interval\", \"timeout\"} with unique names",
                  apply: { c, v in
                      guard let a = v.arrayValue, a.count <= 100 else { return false }
                      var out: [ServiceSpec] = []
                      for item in a {
                          switch ServiceSpec.parse(item) {
                          case .success(let s) where !out.contains(where: { $0.name == s.name }): out.append(s)
                          case .success: return false
                          case .failure(let e): Log.error("config: services: \(e.description)"); return false
                          }
                      }
                      c.services = out; return true
                  },
                  fromEnv: { s in (try? JSONValue.parse(Array(s.utf8))) ?? .string(s) },
                  get: { c in
                      .array(c.services.map { s in
                          var o: [String: JSONValue] = ["name": .string(s.name), "expect_status": .number(Double(s.expectStatus)),
                                                        "interval": .string(formatDuration(s.intervalMs)), "timeout": .string(formatDurationOrZero(s.timeoutMs))]
                          switch s.target {
                          case .http(let u): o["url"] = .string(u)
                          case .tcp: o["tcp"] = .string(s.targetText)
                          }
                          return .object(o)
                      })
                  })
    }

    static func parseDuration(_ s: String) -> Int64? {
        guard let unit = s.last else { return nil }
        let factor: Double
        switch unit {
        case "s": factor = 1000
        case "m": factor = 60_000
        case "h": factor = 3_600_000
        case "d": factor = 86_400_000
        default: return Double(s).flatMap { $0.isFinite && $0 > 0 && $0 < 1e9 ? Int64($0 * 1000) : nil }
        }
        guard let n = Double(s.dropLast()), n.isFinite, n > 0, n < 1e9 else { return nil }
        return Int64(n * factor)
    }

    static func formatDuration(_ ms: Int64) -> String {
        if ms % 86_400_000 == 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        return "\(ms / 1000)s"
    }
}

/// Every key config.json may hold. An unknown key is an error (a typo must not be ignored).
enum ConfigSchema {
    static let keys: [ConfigKey] = [
        ConfigKind.string("server.listen", "must be an IPv4/IPv6 address or \"localhost\"", { isListenAddress($0) }, get: { $0.listenAddress }) { $0.listenAddress = $1 ?? "127.0.0.1" },
        ConfigKind.int("server.port", 0...65535, \.port),
        ConfigKind.int("server.io_threads", 1...64, \.ioThreads),
        ConfigKind.stringList("server.allowed_hosts", "host names without port, like \"vitals.lan\"", { !$0.isEmpty && !$0.contains(":") && !$0.contains("/") && !$0.contains(" ") || $0.hasPrefix("[") }, \.allowedHosts),
        ConfigKind.stringList("metrics.compat", "names from: " + MetricsCompat.allCases.map(\.rawValue).joined(separator: ", "),
                              { MetricsCompat(rawValue: $0) != nil }, \.metricsCompat),
        ConfigKind.stringList("server.cors_origins", "origins like \"http://host:port\"", { isOrigin($0) }, \.corsOrigins),

        ConfigKind.string("storage.data_dir", "must be a non-empty directory path", get: { $0.dataDir }) { $0.dataDir = $1 ?? "./data" },
        ConfigKind.string("storage.database_file", "must be a non-empty file name or path", get: { $0.databaseFile }) { $0.databaseFile = $1 ?? "vitals.db" },
        ConfigKind.duration("storage.retention.raw", 60_000...(31 * 86_400_000), \.retentionRawMs),
        ConfigKind.duration("storage.retention.10s", 3_600_000...(366 * 86_400_000), \.retention10sMs),
        ConfigKind.duration("storage.retention.5m", 86_400_000...(3660 * 86_400_000), \.retention5mMs),

        ConfigKind.int("sampling.interval_ms", 100...60_000, \.samplingIntervalMs),
        ConfigKind.bool("gpu.enabled", \.gpuEnabled),
        ConfigKind.string("gpu.nvml_library", "must be a library file name or path", nullable: true, get: { $0.nvmlLibrary }) { $0.nvmlLibrary = $1 },
        ConfigKind.int("gpu.process_interval_ms", 500...600_000, \.gpuProcessIntervalMs),

        ConfigKind.int("limits.max_connections", 16...1_000_000, \.maxConnections),
        ConfigKind.int("limits.max_header_bytes", 1024...1_048_576, \.maxHeaderBytes),
        ConfigKind.int("limits.max_body_bytes", 1024...67_108_864, \.maxBodyBytes),
        ConfigKind.int("limits.header_timeout_ms", 100...600_000, \.headerTimeoutMs),
        ConfigKind.int("limits.keepalive_timeout_ms", 100...3_600_000, \.keepAliveTimeoutMs),
        ConfigKind.int("limits.max_connection_output_bytes", 16_384...268_435_456, \.maxConnectionOutputBytes),
        ConfigKind.int("limits.admin_requests_per_minute", 0...1_000_000, \.adminRequestsPerMinute),
        ConfigKind.int("limits.auth_failures_per_minute", 0...1_000_000, \.authFailuresPerMinute),
        ConfigKind.int("limits.max_total_output_bytes", 1_048_576...68_719_476_736, \.maxTotalOutputBytes),

        ConfigKind.stringList("auth.admin_tokens", "tokens of at least 16 characters", { $0.count >= 16 }, \.adminTokens),
        ConfigKind.stringList("auth.read_tokens", "tokens of at least 16 characters", { $0.count >= 16 }, \.readTokens),
        ConfigKind.stringList("auth.job_tokens", "tokens of at least 16 characters", { $0.count >= 16 }, \.jobTokens),
        ConfigKind.string("auth.token_file", "must be a path to a 0600 file with one token per line", nullable: true, get: { $0.tokenFile }) { $0.tokenFile = $1 },
        ConfigKind.bool("auth.open_reads", \.openReads),
        ConfigKind.bool("auth.loopback_reads_need_token", \.loopbackReadsNeedToken),

        ConfigKind.int("jobs.reservation_grace_ms", 1000...86_400_000, \.jobReservationGraceMs),
        ConfigKind.int("jobs.lost_grace_ms", 0...3_600_000, \.jobLostGraceMs),
        ConfigKind.duration("jobs.retention", 3_600_000...(3660 * 86_400_000), \.jobRetentionMs),
        ConfigKind.duration("activity.retention", 3_600_000...(3660 * 86_400_000), \.activityRetentionMs),

        ConfigKind.string("log.level", "must be one of debug, info, warn, error", { LogLevel(name: $0) != nil }, get: { $0.logLevel.name }) { $0.logLevel = LogLevel(name: $1 ?? "") ?? .info },

        ConfigKind.string("log.format", "must be text or json", { LogFormat(rawValue: $0) != nil },
                          get: { $0.logFormat.rawValue }) { $0.logFormat = LogFormat(rawValue: $1 ?? "") ?? .text },

        ConfigKind.alertRules("alerts.rules"),
        ConfigKind.bool("alerts.replace_defaults", \.alertsReplaceDefaults),
        ConfigKind.stringList("alerts.webhooks", "http:// URLs that take Alertmanager's webhook payload", { HTTPPost.parse($0) != nil }, \.alertWebhooks),
        ConfigKind.stringList("alerts.alertmanager_urls", "Alertmanager base URLs like \"http://127.0.0.1:9093\"", { HTTPPost.parse($0) != nil }, \.alertmanagerURLs),
        ConfigKind.bool("alerts.send_resolved", \.alertsSendResolved),
        ConfigKind.duration("alerts.repeat_interval", 60_000...(30 * 86_400_000), \.alertsRepeatIntervalMs),
        ConfigKind.duration("alerts.retention", 3_600_000...(3660 * 86_400_000), \.alertsRetentionMs),
        ConfigKind.string("alerts.external_url", "must be the http(s):// URL receivers use to reach this daemon", nullable: true,
                          { ($0.hasPrefix("http://") || $0.hasPrefix("https://")) && !$0.hasSuffix("/") && !$0.contains(" ") },
                          get: { $0.alertsExternalURL }) { $0.alertsExternalURL = $1 },

        ConfigKind.services("services"),
        ConfigKind.duration("audit.retention", 86_400_000...(3660 * 86_400_000), \.auditRetentionMs),

        ConfigKind.bool("websocket.echo_endpoint", \.wsEchoEndpoint),
        ConfigKind.int("websocket.ping_interval_ms", 1000...3_600_000, \.wsPingIntervalMs),
        ConfigKind.int("websocket.pong_timeout_ms", 500...600_000, \.wsPongTimeoutMs),
        ConfigKind.int("websocket.max_message_bytes", 125...16_777_216, \.wsMaxMessageBytes),
        ConfigKind.int("websocket.max_queued_events", 1...1_000_000, \.wsMaxQueuedEvents),
    ]

    static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })

    static func isListenAddress(_ s: String) -> Bool {
        if s == "localhost" { return true }
        return IPAddress.parse(s) != nil
    }

    static func isOrigin(_ s: String) -> Bool {
        (s.hasPrefix("http://") || s.hasPrefix("https://")) && !s.hasSuffix("/") && s.count > 8 && !s.contains(" ")
    }
}
