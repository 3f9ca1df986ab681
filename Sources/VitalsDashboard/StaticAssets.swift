import VitalsTransport

/// One file, with its gzip made at build time when that is smaller.
public struct StaticAsset: Sendable {
    public let name: String
    public let contentType: String
    public let tag: String
    public let identity: [UInt8]
    public let gzip: [UInt8]?
}

/// Serves embedded files the way a careful static server does: a strong ETag per
/// representation (the gzip one is a different entity, so it carries its own tag), 304 on a
/// matching `If-None-Match`, the precompressed gzip when `Accept-Encoding` allows it, and
/// `Cache-Control: no-cache`, so a browser keeps the file but asks (a 304) before using it:
/// the names carry no content hash, so a long max-age would serve an old module next to a
/// new page after an upgrade. Every answer carries the page's security headers.
public struct StaticAssets: Sendable {
    public let byName: [String: StaticAsset]

    /// `'self'` only; `ws:`/`wss:` because a WebSocket URL is not "self" to every browser.
    public static let contentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"

    public init(_ files: [StaticAsset]) {
        var m: [String: StaticAsset] = [:]
        for f in files { m[f.name] = f }
        byName = m
    }

    public var names: [String] { byName.keys.sorted() }

    /// The answer for `name`, or nil when no such file is embedded. `vary` names request
    /// headers the route also chose by (`/` picks HTML or JSON by `Accept`).
    public func response(_ name: String, for request: HTTPRequest, vary: [String] = []) -> HTTPResponse? {
        guard let asset = byName[name] else { return nil }
        let useGzip = asset.gzip != nil && Self.acceptsGzip(request.headerList("accept-encoding"))
        let etag = "\"" + asset.tag + (useGzip ? "-gz" : "") + "\""
        var headers: [(String, String)] = [
            ("ETag", etag),
            ("Cache-Control", "no-cache"),
            ("Vary", (vary + ["Accept-Encoding"]).joined(separator: ", ")),
            ("Content-Security-Policy", Self.contentSecurityPolicy),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
        ]
        if let inm = request.headerList("if-none-match"), Self.matches(inm, etag) {
            return HTTPResponse(status: 304, headers: headers, noStore: false)
        }
        if useGzip { headers.append(("Content-Encoding", "gzip")) }
        return HTTPResponse(status: 200, contentType: asset.contentType, headers: headers,
                            body: useGzip ? asset.gzip! : asset.identity, noStore: false)
    }

    /// `If-None-Match` uses the weak comparison (RFC 9110 13.1.2): `W/` is ignored; `*` matches.
    static func matches(_ list: String, _ etag: String) -> Bool {
        for raw in list.split(separator: ",") {
            var t = raw.trimmingSpaces
            if t == "*" { return true }
            if t.hasPrefix("W/") { t = t.dropFirst(2) }
            if t == etag[...] { return true }
        }
        return false
    }

    /// Whether `gzip` (or `x-gzip`, or `*`) is listed without `q=0`.
    public static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var star = false
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            let coding = parts[0].trimmingSpaces.lowercased()
            let refused = parts.dropFirst().contains { p in
                let kv = p.trimmingSpaces.lowercased()
                return kv.hasPrefix("q=") && (Double(kv.dropFirst(2)) ?? 1) == 0
            }
            if coding == "gzip" || coding == "x-gzip" { return !refused }
            if coding == "*" { star = !refused }
        }
        return star
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
