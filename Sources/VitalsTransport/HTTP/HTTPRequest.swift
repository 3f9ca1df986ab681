import VitalsSupport
/// A parsed HTTP/1.1 request. Header names are stored lower-cased.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The decoded path, without the query string.
    public var path: String
    public var rawQuery: String
    public var minorVersion: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var remoteAddress: String = ""
    /// Values of `{name}` segments in the matched route.
    public var pathParams: [String: String] = [:]

    public init(method: String, path: String, rawQuery: String = "", minorVersion: Int = 1,
                headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method; self.path = path; self.rawQuery = rawQuery
        self.minorVersion = minorVersion; self.headers = headers; self.body = body
    }

    /// First value of a header, by lower-case name.
    public func header(_ lowerName: String) -> String? {
        for h in headers where h.name == lowerName { return h.value }
        return nil
    }

    /// Every value of a header, one per header line (for headers that must not repeat).
    public func headerValues(_ lowerName: String) -> [String] {
        headers.filter { $0.name == lowerName }.map(\.value)
    }

    /// All values of a header joined with ", ", as RFC 9110 allows for list headers.
    public func headerList(_ lowerName: String) -> String? {
        let values = headers.filter { $0.name == lowerName }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    /// Whether the connection may stay open after this request.
    public var keepAlive: Bool {
        guard let conn = headerList("connection") else { return minorVersion == 1 }
        if minorVersion == 0 { return hasToken(conn, "keep-alive") }
        return !hasToken(conn, "close")
    }

    /// Query parameters, percent-decoded, `+` as space; the first value of a repeated name wins.
    public var query: [String: String] {
        var out: [String: String] = [:]
        for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = PercentCoding.decode(kv[0], plusAsSpace: true) else { continue }
            let v = kv.count > 1 ? (PercentCoding.decode(kv[1], plusAsSpace: true) ?? "") : ""
            if out[k] == nil { out[k] = v }
        }
        return out
    }
}

/// Whether a comma-separated header value (Connection, Upgrade, ...) holds `token`,
/// compared case-insensitively. Runs on every request (keep-alive), so it walks the bytes
/// without splitting into Strings. `token` must be lower-case ASCII.
func hasToken(_ list: String, _ token: String) -> Bool {
    let want = token.utf8
    var it = list.utf8[...]
    while !it.isEmpty {
        let end = it.firstIndex(of: UInt8(ascii: ",")) ?? it.endIndex
        var part = it[..<end]
        while let f = part.first, f == 0x20 || f == 0x09 { part = part.dropFirst() }
        while let l = part.last, l == 0x20 || l == 0x09 { part = part.dropLast() }
        if part.count == want.count && zip(part, want).allSatisfy({ ($0 >= 65 && $0 <= 90 ? $0 + 32 : $0) == $1 }) {
            return true
        }
        it = end == it.endIndex ? it[end...] : it[it.index(after: end)...]
    }
    return false
}
