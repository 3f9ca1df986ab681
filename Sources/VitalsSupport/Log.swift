import Glibc
import Synchronization

public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case debug = 0, info, warn, error

    public init?(name: String) {
        switch name.lowercased() {
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warn
        case "error": self = .error
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warn: return "warn"
        case .error: return "error"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// How a log line is written: `text` for people, `json` for journald and log shippers.
public enum LogFormat: String, Sendable, CaseIterable { case text, json }

/// One line per event on stderr: `<timestamp> <LEVEL> <message> key=value ...`, or one JSON
/// object per line (`{"ts":...,"level":...,"msg":...,<fields>}`) with `log.format = json`.
/// Each line goes out in a single write(2) so lines from different threads never interleave.
public enum Log {
    private static let threshold = Atomic<Int>(LogLevel.info.rawValue)
    private static let json = Atomic<Bool>(false)

    public static func setLevel(_ level: LogLevel) { threshold.store(level.rawValue, ordering: .relaxed) }
    public static func setFormat(_ format: LogFormat) { json.store(format == .json, ordering: .relaxed) }
    public static func enabled(_ level: LogLevel) -> Bool { level.rawValue >= threshold.load(ordering: .relaxed) }

    public static func debug(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        emit(.debug, message, fields)
    }
    public static func info(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        emit(.info, message, fields)
    }
    public static func warn(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        emit(.warn, message, fields)
    }
    public static func error(_ message: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, Any> = [:]) {
        emit(.error, message, fields)
    }

    private static func emit(_ level: LogLevel, _ message: () -> String, _ fields: () -> KeyValuePairs<String, Any>) {
        guard enabled(level) else { return }
        var bytes = json.load(ordering: .relaxed) ? jsonLine(level, message(), fields()) : textLine(level, message(), fields())
        bytes.withUnsafeMutableBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(2, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
                off += n
            }
        }
    }

    static func textLine(_ level: LogLevel, _ message: String, _ fields: KeyValuePairs<String, Any>) -> [UInt8] {
        var line = TimeFormat.iso8601(ms: Clock.wallMs()) + " " + level.name.uppercased() + " " + message
        for (k, v) in fields {
            let s = "\(v)"
            let needsQuotes = s.isEmpty || s.contains(" ") || s.contains("\"") || s.contains("=")
            line += " " + k + "=" + (needsQuotes ? "\"" + s.replacing("\"", with: "\\\"") + "\"" : s)
        }
        line += "\n"
        return Array(line.utf8)
    }

    /// Numbers and booleans stay JSON numbers and booleans; everything else is a string.
    static func jsonLine(_ level: LogLevel, _ message: String, _ fields: KeyValuePairs<String, Any>) -> [UInt8] {
        var w = JSONWriter(capacity: 160)
        w.beginObject()
        w.field("ts", TimeFormat.iso8601(ms: Clock.wallMs()))
        w.field("level", level.name)
        w.field("msg", message)
        for (k, v) in fields where !["ts", "level", "msg"].contains(k) {
            switch v {
            case let b as Bool: w.field(k, b)
            case let i as Int: w.field(k, i)
            case let i as Int64: w.field(k, i)
            case let i as Int32: w.field(k, i)
            case let u as UInt64: w.field(k, u)
            case let d as Double where d.isFinite: w.field(k, d, decimals: 6)
            default: w.field(k, "\(v)")
            }
        }
        w.endObject()
        return w.bytes + [10]
    }
}
