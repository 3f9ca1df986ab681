import VitalsSupport
import VitalsTransport

/// A request's input after its route's schema accepted it: typed values, defaults filled
/// in. Handlers read from here instead of parsing the query a second time.
public struct ValidatedInput: Sendable {
    public let request: HTTPRequest
    public let query: [String: JSONValue]
    public let path: [String: JSONValue]
    /// The parsed body; nil when the route takes none or it was empty and optional.
    public let body: JSONValue?
    /// Integer parameters exactly: a Double holds integers only up to 2^53, and an id near
    /// Int64.max converted back from one would trap.
    let integers: [String: Int64]

    public init(request: HTTPRequest, query: [String: JSONValue] = [:], path: [String: JSONValue] = [:], body: JSONValue? = nil,
                integers: [String: Int64] = [:]) {
        self.request = request; self.query = query; self.path = path; self.body = body; self.integers = integers
    }

    private func value(_ name: String) -> JSONValue? { path[name] ?? query[name] }

    public func int64(_ name: String) -> Int64? {
        if let n = integers[name] { return n }
        guard let d = value(name)?.doubleValue else { return nil }
        return Int64(exactly: d.rounded())
    }
    public func int(_ name: String) -> Int? { int64(name).map { Int($0) } }
    public func double(_ name: String) -> Double? { value(name)?.doubleValue }
    public func string(_ name: String) -> String? { value(name)?.stringValue }
    public func strings(_ name: String) -> [String]? { value(name)?.arrayValue?.compactMap(\.stringValue) }
    public func has(_ name: String) -> Bool { value(name) != nil }
}
