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
    public static func error(_ status: Int, _ code: String, _ message: String,
                             details: ((inout JSONWriter) -> Void)? = nil) -> HTTPResponse {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.key("error")
        w.beginObject()
        w.field("code", code)
        w.field("message", message)
        if let details { w.key("details"); details(&w) }
        w.endObject()
        w.endObject()
        return json(w.bytes, status: status)
    }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 426: return "Upgrade Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
