import VitalsSupport
/// A response before it is written. `body` is sent as is; HEAD strips it on the wire.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String?
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Live data must not be cached by browsers or proxies.
    public var noStore: Bool

    public init(status: Int, contentType: String? = nil, headers: [(String, String)] = [], body: [UInt8] = [], noStore: Bool = true) {
        self.status = status; self.contentType = contentType; self.headers = headers; self.body = body; self.noStore = noStore
    }

    public static func json(_ bytes: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: bytes)
    }

    public static func json(status: Int = 200, _ build: (inout JSONWriter) -> Void) -> HTTPResponse {
        var w = JSONWriter()
        build(&w)
        return json(w.bytes, status: status)
    }

    /// `{"error": {"code": ..., "message": ..., "details": ...}}`, the one error shape of the API.
    public static func error(_ status: Int, _ code: ErrorCode, _ message: String,
                             details: ((inout JSONWriter) -> Void)? = nil) -> HTTPResponse {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.field("code", code.rawValue)
        w.field("message", message)
        if let details { w.key("details"); details(&w) }
        w.endObject()
        w.endObject()
        return json(w.bytes, status: status)
    }

    /// Reason phrases (RFC 9110 and RFC 6585 names) for every status the daemon can send.
    /// A status missing here would go out as "Status N"; a test checks that every status
    /// written in the sources and every one the OpenAPI document declares has its phrase.
    public static let reasonPhrases: [Int: String] = [
        100: "Continue", 101: "Switching Protocols",
        200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
        304: "Not Modified",
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 406: "Not Acceptable", 408: "Request Timeout", 409: "Conflict",
        411: "Length Required", 413: "Content Too Large", 414: "URI Too Long",
        415: "Unsupported Media Type", 417: "Expectation Failed", 422: "Unprocessable Content",
        426: "Upgrade Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
        500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
        503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
        507: "Insufficient Storage",
    ]

    public static func reason(_ status: Int) -> String {
        reasonPhrases[status] ?? "Status \(status)"
    }
}
