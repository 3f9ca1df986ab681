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

/// One line per event on stderr: `<timestamp> <LEVEL> <message> key=value ...`.
/// Each line goes out in a single write(2) so lines from different threads never interleave.
public enum Log {
    private static let threshold = Atomic<Int>(LogLevel.info.rawValue)

    public static func setLevel(_ level: LogLevel) { threshold.store(level.rawValue, ordering: .relaxed) }
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
        var line = TimeFormat.iso8601(ms: Clock.wallMs()) + " " + level.name.uppercased() + " " + message()
        for (k, v) in fields() {
            let s = "\(v)"
            let needsQuotes = s.isEmpty || s.contains(" ") || s.contains("\"") || s.contains("=")
            line += " " + k + "=" + (needsQuotes ? "\"" + s.replacing("\"", with: "\\\"") + "\"" : s)
        }
        line += "\n"
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(2, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; break }
                off += n
            }
        }
    }
}
