/// The machine-readable `code` of an error answer (`{"error": {"code": ...}}`).
///
/// A struct with static members rather than an enum: the transport defines the codes it
/// sends itself (framing, routing, handshake), and the API adds its own in one file
/// (`APIErrorCodes.swift`) without the transport learning anything about the domain. An
/// enum cannot gain cases outside its module, so it would force either domain codes
/// down into the transport or a second, parallel type. Call sites still read as an enum
/// (`.notFound`), and a typo is a compile error rather than a new code on the wire.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    // Request framing (HTTPParser / HTTPConnection).
    public static let badRequest = ErrorCode(rawValue: "bad_request")
    public static let requestTimeout = ErrorCode(rawValue: "request_timeout")
    public static let bodyTooLarge = ErrorCode(rawValue: "body_too_large")
    public static let expectationFailed = ErrorCode(rawValue: "expectation_failed")
    public static let headersTooLarge = ErrorCode(rawValue: "headers_too_large")
    public static let notImplemented = ErrorCode(rawValue: "not_implemented")
    public static let httpVersionNotSupported = ErrorCode(rawValue: "http_version_not_supported")
    public static let tooManyConnections = ErrorCode(rawValue: "too_many_connections")
    /// A framing failure with a status the parser has no more specific code for.
    public static let error = ErrorCode(rawValue: "error")

    // Routing and access (HTTPServer).
    public static let notFound = ErrorCode(rawValue: "not_found")
    public static let methodNotAllowed = ErrorCode(rawValue: "method_not_allowed")
    public static let hostNotAllowed = ErrorCode(rawValue: "host_not_allowed")
    public static let originNotAllowed = ErrorCode(rawValue: "origin_not_allowed")
    public static let unauthorized = ErrorCode(rawValue: "unauthorized")
    public static let forbidden = ErrorCode(rawValue: "forbidden")

    // WebSocket upgrade.
    public static let upgradeRequired = ErrorCode(rawValue: "upgrade_required")
    public static let badHandshake = ErrorCode(rawValue: "bad_handshake")
}
