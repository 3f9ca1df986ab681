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

    var envName: String {
        "VITALS_" + path.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
    }
}

/// Builders for the kinds of value config.json holds.
enum ConfigKind {
    static func int(_ path: String, _ range: ClosedRange<Int>, _ set: @escaping @Sendable (inout VitalsConfig, Int) -> Void) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be an integer from \(range.lowerBound) to \(range.upperBound)",
                  apply: { c, v in
                      guard let i = v.intValue, range.contains(i) else { return false }
                      set(&c, i); return true
                  },
                  fromEnv: { s in Double(s).map(JSONValue.number) ?? .string(s) })
    }

    static func bool(_ path: String, _ set: @escaping @Sendable (inout VitalsConfig, Bool) -> Void) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be true or false",
                  apply: { c, v in
                      guard let b = v.boolValue else { return false }
                      set(&c, b); return true
                  },
                  fromEnv: { s in
                      switch s.lowercased() {
                      case "true", "1", "yes", "on": return .bool(true)
                      case "false", "0", "no", "off": return .bool(false)
                      default: return .string(s)
                      }
                  })
    }

    static func string(_ path: String, _ allowed: String, nullable: Bool = false,
                       _ valid: @escaping @Sendable (String) -> Bool = { !$0.isEmpty },
                       _ set: @escaping @Sendable (inout VitalsConfig, String?) -> Void) -> ConfigKey {
        ConfigKey(path: path, allowed: allowed + (nullable ? " (or null)" : ""),
                  apply: { c, v in
                      if case .null = v, nullable { set(&c, nil); return true }
                      guard let s = v.stringValue, valid(s) else { return false }
                      set(&c, s); return true
                  },
                  fromEnv: { s in nullable && (s.isEmpty || s == "null") ? .null : .string(s) })
    }

    static func stringList(_ path: String, _ allowed: String, _ valid: @escaping @Sendable (String) -> Bool,
                           _ set: @escaping @Sendable (inout VitalsConfig, [String]) -> Void) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be a list of " + allowed,
                  apply: { c, v in
                      guard let a = v.arrayValue else { return false }
                      var out: [String] = []
                      for item in a {
                          guard let s = item.stringValue, valid(s) else { return false }
                          out.append(s)
                      }
                      set(&c, out); return true
                  },
                  fromEnv: { s in
                      .array(s.split(separator: ",").map { .string(String($0).trimmedWhitespace) })
                  })
    }

    /// "90s", "30m", "6h", "7d" (or a number of seconds), within `range` ms.
    static func duration(_ path: String, _ range: ClosedRange<Int64>, _ set: @escaping @Sendable (inout VitalsConfig, Int64) -> Void) -> ConfigKey {
        ConfigKey(path: path, allowed: "must be a duration like \"90s\", \"30m\", \"6h\" or \"7d\" from \(formatDuration(range.lowerBound)) to \(formatDuration(range.upperBound))",
                  apply: { c, v in
                      let ms: Int64?
                      switch v {
                      case .string(let s): ms = parseDuration(s)
                      case .number(let d) where d.isFinite && d > 0 && d < 1e12: ms = Int64(d * 1000)
                      default: ms = nil
                      }
                      guard let ms, range.contains(ms) else { return false }
                      set(&c, ms); return true
                  },
                  fromEnv: { .string($0) })
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
        ConfigKind.string("server.listen", "must be an IPv4/IPv6 address or \"localhost\"", { isListenAddress($0) }) { $0.listenAddress = $1 ?? "127.0.0.1" },
        ConfigKind.int("server.port", 0...65535) { $0.port = $1 },
        ConfigKind.int("server.io_threads", 1...64) { $0.ioThreads = $1 },
        ConfigKind.stringList("server.allowed_hosts", "host names without port, like \"vitals.lan\"", { !$0.isEmpty && !$0.contains(":") && !$0.contains("/") && !$0.contains(" ") || $0.hasPrefix("[") }) { $0.allowedHosts = $1 },
        ConfigKind.stringList("server.cors_origins", "origins like \"http://host:port\"", { isOrigin($0) }) { $0.corsOrigins = $1 },

        ConfigKind.string("storage.data_dir", "must be a non-empty directory path") { $0.dataDir = $1 ?? "./data" },
        ConfigKind.string("storage.database_file", "must be a non-empty file name or path") { $0.databaseFile = $1 ?? "vitals.db" },
        ConfigKind.duration("storage.retention.raw", 60_000...(31 * 86_400_000)) { $0.retentionRawMs = $1 },
        ConfigKind.duration("storage.retention.10s", 3_600_000...(366 * 86_400_000)) { $0.retention10sMs = $1 },
        ConfigKind.duration("storage.retention.5m", 86_400_000...(3660 * 86_400_000)) { $0.retention5mMs = $1 },

        ConfigKind.int("sampling.interval_ms", 100...60_000) { $0.samplingIntervalMs = $1 },
        ConfigKind.bool("gpu.enabled") { $0.gpuEnabled = $1 },
        ConfigKind.string("gpu.nvml_library", "must be a library file name or path", nullable: true) { $0.nvmlLibrary = $1 },
        ConfigKind.int("gpu.process_interval_ms", 500...600_000) { $0.gpuProcessIntervalMs = $1 },

        ConfigKind.int("limits.max_connections", 16...1_000_000) { $0.maxConnections = $1 },
        ConfigKind.int("limits.max_header_bytes", 1024...1_048_576) { $0.maxHeaderBytes = $1 },
        ConfigKind.int("limits.max_body_bytes", 1024...67_108_864) { $0.maxBodyBytes = $1 },
        ConfigKind.int("limits.header_timeout_ms", 100...600_000) { $0.headerTimeoutMs = $1 },
        ConfigKind.int("limits.keepalive_timeout_ms", 100...3_600_000) { $0.keepAliveTimeoutMs = $1 },
        ConfigKind.int("limits.max_connection_output_bytes", 16_384...268_435_456) { $0.maxConnectionOutputBytes = $1 },
        ConfigKind.int("limits.max_total_output_bytes", 1_048_576...68_719_476_736) { $0.maxTotalOutputBytes = $1 },

        ConfigKind.stringList("auth.admin_tokens", "tokens of at least 16 characters", { $0.count >= 16 }) { $0.adminTokens = $1 },
        ConfigKind.stringList("auth.read_tokens", "tokens of at least 16 characters", { $0.count >= 16 }) { $0.readTokens = $1 },
        ConfigKind.string("auth.token_file", "must be a path to a 0600 file with one token per line", nullable: true) { $0.tokenFile = $1 },
        ConfigKind.bool("auth.open_reads") { $0.openReads = $1 },

        ConfigKind.string("log.level", "must be one of debug, info, warn, error", { LogLevel(name: $0) != nil }) { $0.logLevel = LogLevel(name: $1 ?? "") ?? .info },

        ConfigKind.bool("websocket.echo_endpoint") { $0.wsEchoEndpoint = $1 },
        ConfigKind.int("websocket.ping_interval_ms", 1000...3_600_000) { $0.wsPingIntervalMs = $1 },
        ConfigKind.int("websocket.pong_timeout_ms", 500...600_000) { $0.wsPongTimeoutMs = $1 },
        ConfigKind.int("websocket.max_message_bytes", 125...16_777_216) { $0.wsMaxMessageBytes = $1 },
        ConfigKind.int("websocket.max_queued_events", 1...1_000_000) { $0.wsMaxQueuedEvents = $1 },
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
