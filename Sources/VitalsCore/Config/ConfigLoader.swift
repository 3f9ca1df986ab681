import VitalsSupport
import Glibc

/// What the command line asked for besides settings.
public enum LaunchAction: Equatable, Sendable {
    case run(VitalsConfig)
    case help
    case version
}

/// Builds the config from, in rising precedence: defaults, config.json, `VITALS_*`
/// environment variables, command-line flags. Any bad value stops start-up with one line.
public enum ConfigLoader {
    public static let usage = """
    Usage: vitals [options]

      --config PATH       config file (default: ./config.json when present)
      --listen HOST:PORT  listen address (also HOST or :PORT)
      --data-dir PATH     where the SQLite database lives (created if missing)
      --log-level LEVEL   debug, info, warn or error
      --help              show this help
      --version           print the version

    Every config key can also be set from the environment: server.port is
    VITALS_SERVER_PORT, storage.retention.raw is VITALS_STORAGE_RETENTION_RAW, and so on.
    """

    public static func load(arguments: [String], environment: [String: String]) throws(ConfigError) -> LaunchAction {
        var configPath: String? = nil
        var explicitConfig = false
        var flagValues: [(String, JSONValue)] = []
        var i = 0
        func value(_ flag: String) throws(ConfigError) -> String {
            i += 1
            guard i < arguments.count else { throw ConfigError("\(flag) needs a value (see --help)") }
            return arguments[i]
        }
        while i < arguments.count {
            let arg = arguments[i]
            // Accept --flag=value as well as --flag value.
            var name = arg
            var inline: String? = nil
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                name = String(arg[..<eq]); inline = String(arg[arg.index(after: eq)...])
            }
            func take() throws(ConfigError) -> String { if let inline { return inline }; return try value(name) }
            switch name {
            case "--help", "-h": return .help
            case "--version", "-V": return .version
            case "--config": configPath = try take(); explicitConfig = true
            case "--data-dir": flagValues.append(("storage.data_dir", .string(try take())))
            case "--log-level": flagValues.append(("log.level", .string(try take())))
            case "--listen":
                let v = try take()
                guard let (host, port) = splitListen(v) else {
                    throw ConfigError("--listen \(v): must be HOST:PORT, HOST or :PORT (IPv6 as [::1]:PORT)")
                }
                if let host { flagValues.append(("server.listen", .string(host))) }
                if let port { flagValues.append(("server.port", .number(Double(port)))) }
            default:
                throw ConfigError("unknown option \(arg) (see --help)")
            }
            i += 1
        }

        var config = VitalsConfig()
        if configPath == nil, let envPath = environment["VITALS_CONFIG"] { configPath = envPath; explicitConfig = true }
        let path = configPath ?? "config.json"
        if let bytes = SmallFile.read(path, maxBytes: 16 << 20) {
            try apply(fileBytes: bytes, to: &config, source: path)
        } else if explicitConfig {
            throw ConfigError("config \(path): cannot read file (\(String(cString: strerror(errno))))")
        }

        for key in ConfigSchema.keys {
            guard let raw = environment[key.envName], let v = key.fromEnv(raw) else { continue }
            try set(key, v, on: &config, shown: "\(key.envName)=\(raw)")
        }
        for (path, v) in flagValues {
            guard let key = ConfigSchema.byPath[path] else { continue }
            try set(key, v, on: &config, shown: "\(path) = \(render(v))")
        }
        return .run(config)
    }

    /// Applies a config file's content: the file read apart, so tests and the fuzzer can
    /// hand it text without a file system.
    public static func apply<C: Collection>(fileBytes bytes: C, to config: inout VitalsConfig,
                                            source: String) throws(ConfigError) where C.Element == UInt8 {
        let doc: JSONValue
        do { doc = try JSONValue.parse(bytes) } catch {
            throw ConfigError("config \(source): \(error)")
        }
        try apply(document: doc, to: &config, source: source)
    }

    /// Applies a parsed config document; unknown keys and wrong types are errors.
    public static func apply(document: JSONValue, to config: inout VitalsConfig, source: String) throws(ConfigError) {
        guard let root = document.objectValue else {
            throw ConfigError("config \(source): the top level must be a JSON object")
        }
        var leaves: [(String, JSONValue)] = []
        try flatten(root, prefix: "", into: &leaves, source: source)
        for (path, v) in leaves.sorted(by: { $0.0 < $1.0 }) {
            guard let key = ConfigSchema.byPath[path] else { continue }
            try set(key, v, on: &config, shown: "\(path) = \(render(v))")
        }
    }

    private static func flatten(_ obj: [String: JSONValue], prefix: String, into out: inout [(String, JSONValue)], source: String) throws(ConfigError) {
        for (k, v) in obj {
            let path = prefix.isEmpty ? k : prefix + "." + k
            if ConfigSchema.byPath[path] != nil {
                out.append((path, v))
            } else if case .object(let inner) = v, ConfigSchema.keys.contains(where: { $0.path.hasPrefix(path + ".") }) {
                try flatten(inner, prefix: path, into: &out, source: source)
            } else {
                let siblings = ConfigSchema.keys.map(\.path).filter { prefix.isEmpty ? true : $0.hasPrefix(prefix + ".") }
                let known = Set(siblings.map { p -> String in
                    let rest = prefix.isEmpty ? p : String(p.dropFirst(prefix.count + 1))
                    return String(rest.split(separator: ".").first ?? "")
                }).sorted().joined(separator: ", ")
                throw ConfigError("config \(source): unknown key \(path) (known here: \(known))")
            }
        }
    }

    private static func set(_ key: ConfigKey, _ v: JSONValue, on config: inout VitalsConfig, shown: String) throws(ConfigError) {
        guard key.apply(&config, v) else {
            throw ConfigError("config: \(shown): \(key.allowed)")
        }
    }

    private static func render(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(render).joined(separator: ",") + "]"
        case .object: return "{...}"
        }
    }

    /// "127.0.0.1:8089", "[::1]:8089", ":8089", "0.0.0.0".
    static func splitListen(_ s: String) -> (String?, Int?)? {
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            let host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { return (host, nil) }
            guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()) else { return nil }
            return (host, p)
        }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return s.isEmpty ? nil : (s, nil)
        case 2:
            guard let p = Int(parts[1]) else { return nil }
            return (parts[0].isEmpty ? nil : String(parts[0]), p)
        default: return (s, nil) // a bare IPv6 address; validated later
        }
    }
}
