import VitalsSupport
/// Everything the history store throws. The message is meant for a log line or an API
/// error body, so it names the operation and carries SQLite's own words.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A SQLite call failed: `code` is the extended result code.
    case sqlite(code: Int32, message: String, context: String)
    /// The tier list or another option given to the store is unusable.
    case invalidConfiguration(String)
    /// A query that cannot be answered as asked (e.g. `from >= to`).
    case invalidQuery(String)
    /// The database cannot be opened right now (missing directory, deleted file...).
    case unavailable(String)
    /// Another process holds the database file (a second vitals on the same data directory).
    case inUse(String)
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case let .sqlite(code, message, context):
            return "history store: \(context): \(message) (SQLite code \(code))"
        case let .invalidConfiguration(m): return "history store configuration: \(m)"
        case let .invalidQuery(m): return "history query: \(m)"
        case let .unavailable(m): return "history store unavailable: \(m)"
        case let .inUse(path): return "another vitals is using \(path)"
        case .closed: return "history store is closed"
        }
    }

    /// SQLite's primary result code, when this is a SQLite error.
    var primaryCode: Int32? {
        if case let .sqlite(code, _, _) = self { return code & 0xff }
        return nil
    }
}
