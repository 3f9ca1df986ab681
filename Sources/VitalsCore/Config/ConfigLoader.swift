import VitalsSupport
import Glibc

/// What the command line asked for besides settings.
public enum LaunchAction: Equatable, Sendable {
    case run(VitalsConfig)
    case help
    case version
    /// `vitals check-config`: the effective config, secrets masked.
    case checkConfig(VitalsConfig)
    /// `vitals token [--rotate]`: the admin token file.
    case token(VitalsConfig, rotate: Bool)
    /// `vitals status`: a one-screen summary from the running daemon.
    case status(VitalsConfig)
    /// `vitals COMMAND --help`.
    case commandHelp(String)
    /// `vitals run [job options] -- CMD ARGS`: the job options (parsed by the executable)
    /// and the command.
    case runJob(VitalsConfig, options: [String], command: [String])
}

/// The subcommands besides serving, each with its one-screen help.
public enum VitalsCommand: String, Sendable, CaseIterable {
    case serve, checkConfig = "check-config", token, status, run

    /// `vitals run`'s own options, each taking a value except `--no-queue`.
    public static let runValueFlags: Set<String> = ["--vram", "--model", "--width", "--height", "--batch", "--frames",
                                                    "--quantization", "--offload", "--gpu", "--name", "--kind", "--priority"]

    public var help: String {
        switch self {
        case .serve: return ConfigLoader.usage
        case .checkConfig: return """
            Usage: vitals check-config [--config PATH] [options]

            Loads the config as the daemon would (defaults < config.json < VITALS_* environment
            < flags), validates it, and prints the effective config as JSON with tokens masked.
            Exit status 0 when valid; 1 with a one-line error naming the key otherwise.
            The options are the daemon's (see vitals --help).
            """
        case .token: return """
            Usage: vitals token [--rotate] [--config PATH] [--data-dir PATH]

            Prints the admin token from <data_dir>/admin.token (generated on the daemon's
            first start when no admin token is configured). --rotate writes a new one (0600)
            and prints it; a running daemon reads it on its next start or SIGHUP.
            """
        case .status: return """
            Usage: vitals status [--config PATH] [--listen HOST:PORT]

            Asks the running daemon (at the config's address) for its health and latest
            snapshot and prints one screen: status and score, CPU, RAM, disks, each GPU, and
            the warnings with what to do. Exit status 0 when it answered, 1 otherwise.
            """
        case .run: return """
            Usage: vitals run [--vram 12G | --model sdxl --width 1024 --height 1024 ...]
                              [--gpu any|INDEX|UUID] [--name N] [--kind K] [--priority P]
                              [--no-queue] [--config PATH] [--listen HOST:PORT] -- CMD [ARGS...]

            Asks the local daemon to admit CMD as a job: it starts when the GPU's free memory,
            less what jobs admitted before it have reserved and not yet allocated, fits it;
            otherwise it waits in the queue (a line on stderr gives its position), or with
            --no-queue exits 75 with the reasons. CMD then runs with CUDA_VISIBLE_DEVICES set
            to the chosen GPU and VITALS_JOB_ID to the job's id (for progress reports); this
            process's pid is the job's, so CMD and its children count as the job. Signals
            (INT, TERM, HUP, QUIT, USR1, USR2) are passed to CMD. The job ends completed or
            failed with CMD's exit status, which is also this command's exit status.

              --vram SIZE         VRAM the job needs: bytes, or with K, M, G or T (12G)
              --model M ...       or estimate it: --model, --width, --height, --batch,
                                  --frames, --quantization, --offload (as the advisor)
              --gpu G             any (default: the GPU with the most free memory that fits),
                                  an index or a UUID
              --name N            the job's name (default: the command)
              --kind K            generation, training, transcription or other (default)
              --priority P        higher first in the queue (default 0)

            It reads the daemon's address and token (a job token, else an admin token)
            from the same config as the daemon.
            """
        }
    }
}

/// Builds the config from, in rising precedence: defaults, config.json, `VITALS_*`
/// environment variables, command-line flags. Any bad value stops start-up with one line.
public enum ConfigLoader {
    public static let usage = """
    Usage: vitals [serve] [options]
           vitals check-config | token [--rotate] | status   (each with --help)
           vitals run [job options] -- CMD ARGS              (see vitals run --help)

      --config PATH       config file (default: ./config.json when present)
      --listen HOST:PORT  listen address (also HOST or :PORT)
      --data-dir PATH     where the SQLite database lives (created if missing)
      --log-level LEVEL   debug, info, warn or error
      --log-format FMT    text (key=value lines) or json (one object per line, for journald)
      --help              show this help
      --version           print the version

    Every config key can also be set from the environment: server.port is
    VITALS_SERVER_PORT, storage.retention.raw is VITALS_STORAGE_RETENTION_RAW, and so on.
    """

    public static func load(arguments allArguments: [String], environment: [String: String]) throws(ConfigError) -> LaunchAction {
        // `vitals [COMMAND] [options]`: no command, or `serve`, runs the daemon.
        var command = VitalsCommand.serve
        var arguments = allArguments
        if let first = arguments.first, !first.hasPrefix("-") {
            guard let c = VitalsCommand(rawValue: first) else {
                throw ConfigError("unknown command \(first); commands: " + VitalsCommand.allCases.map(\.rawValue).joined(separator: ", "))
            }
            command = c
            arguments.removeFirst()
        }
        var rotate = false
        if command == .token, let i = arguments.firstIndex(of: "--rotate") {
            rotate = true
            arguments.remove(at: i)
        }
        var jobOptions: [String] = [], jobCommand: [String] = []
        if command == .run {
            if let dash = arguments.firstIndex(of: "--") {
                jobCommand = Array(arguments[(dash + 1)...])
                arguments = Array(arguments[..<dash])
            }
            var rest: [String] = []
            var i = 0
            while i < arguments.count {
                let a = arguments[i]
                let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
                if VitalsCommand.runValueFlags.contains(name) {
                    if a.contains("=") { jobOptions.append(a) } else {
                        guard i + 1 < arguments.count else { throw ConfigError("\(a) needs a value (see vitals run --help)") }
                        jobOptions += [a, arguments[i + 1]]; i += 1
                    }
                } else if a == "--no-queue" {
                    jobOptions.append(a)
                } else {
                    rest.append(a)
                }
                i += 1
            }
            arguments = rest
        }
        if command != .serve && (arguments.contains("--help") || arguments.contains("-h")) { return .commandHelp(command.help) }
        if command == .run && jobCommand.isEmpty { throw ConfigError("vitals run needs a command after -- (see vitals run --help)") }
        let action = try loadServe(arguments: arguments, environment: environment)
        guard case .run(let config) = action else { return action }
        switch command {
        case .serve: return action
        case .checkConfig: return .checkConfig(config)
        case .token: return .token(config, rotate: rotate)
        case .status: return .status(config)
        case .run: return .runJob(config, options: jobOptions, command: jobCommand)
        }
    }

    static func loadServe(arguments: [String], environment: [String: String]) throws(ConfigError) -> LaunchAction {
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
            case "--log-format": flagValues.append(("log.format", .string(try take())))
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

        // A misspelt variable (VITALS_SERVER_PROT) would otherwise be silently ignored.
        let known = Set(ConfigSchema.keys.map(\.envName)).union(["VITALS_CONFIG"])
        config.unknownEnvironment = environment.keys.filter { $0.hasPrefix("VITALS_") && !known.contains($0) }.sorted()
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

    /// The keys whose effective value differs between two configs (a reload's diff).
    public static func changedKeys(from old: VitalsConfig, to new: VitalsConfig) -> [String] {
        ConfigSchema.keys.filter { $0.get(old) != $0.get(new) }.map(\.path)
    }

    /// The effective config as config.json would hold it, in the schema's order, tokens
    /// masked (`vitals check-config`).
    public static func effectiveJSON(_ c: VitalsConfig, maskSecrets: Bool = true) -> String {
        var root = Node()
        for key in ConfigSchema.keys {
            var value = key.get(c)
            if maskSecrets, key.path.hasSuffix("_tokens"), case .array(let a) = value {
                value = .array(a.map { _ in .string("<masked>") })
            }
            root.insert(key.path.split(separator: ".").map(String.init), value)
        }
        var out = ""
        root.write(into: &out, indent: "")
        return out
    }

    /// An ordered tree of config sections.
    private struct Node {
        var children: [(String, Node)] = []
        var value: JSONValue? = nil

        mutating func insert(_ path: [String], _ v: JSONValue) {
            guard let head = path.first else { value = v; return }
            if let i = children.firstIndex(where: { $0.0 == head }) {
                children[i].1.insert(Array(path.dropFirst()), v)
            } else {
                var n = Node()
                n.insert(Array(path.dropFirst()), v)
                children.append((head, n))
            }
        }

        func write(into out: inout String, indent: String) {
            if let value { out += Self.render(value); return }
            out += "{\n"
            for (i, (k, n)) in children.enumerated() {
                out += indent + "  " + Self.render(.string(k)) + ": "
                n.write(into: &out, indent: indent + "  ")
                out += i == children.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }

        static func render(_ v: JSONValue) -> String {
            var w = JSONWriter()
            w.json(v)
            return String(decoding: w.bytes, as: UTF8.self)
        }
    }
}
