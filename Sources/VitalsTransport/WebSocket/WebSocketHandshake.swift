import VitalsSupport
// Server side of the RFC 6455 opening handshake (section 4.2). No extension and no
// subprotocol is ever negotiated, so the RSV bits stay reserved on this connection.

public struct WebSocketHandshakeError: Error, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case methodNotGET
        case missingUpgradeWebSocket
        case missingConnectionUpgrade
        case missingKey
        case invalidKey
        case unsupportedVersion
    }

    public let kind: Kind
    /// HTTP status to answer with: 426 for a version we do not speak, else 400.
    public let status: Int
    public let message: String

    /// Extra response headers the refusal must carry (RFC 6455 4.4: list our version).
    public var responseHeaders: [(name: String, value: String)] {
        kind == .unsupportedVersion ? [("Sec-WebSocket-Version", "13")] : []
    }

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.status = kind == .unsupportedVersion ? 426 : 400
        self.message = message
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.kind == b.kind && a.status == b.status && a.message == b.message
    }
}

public enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Checks an upgrade request. `headers` looks a header up case-insensitively and
    /// may return repeated headers joined with commas. On success returns the value of
    /// Sec-WebSocket-Accept for the 101 response.
    public static func validate(method: String, headers: (String) -> String?) -> Result<String, WebSocketHandshakeError> {
        guard method == "GET" else {
            return .failure(.init(.methodNotGET, "WebSocket upgrade requires GET, got \(method)"))
        }
        guard let upgrade = headers("Upgrade"), hasToken(upgrade, "websocket") else {
            return .failure(.init(.missingUpgradeWebSocket, "missing 'Upgrade: websocket' header"))
        }
        guard let connection = headers("Connection"), hasToken(connection, "upgrade") else {
            return .failure(.init(.missingConnectionUpgrade, "missing 'Connection: Upgrade' header"))
        }
        // Version before key: a client speaking another version needs the 426 and our
        // version list, whatever else is wrong with its request.
        guard let version = headers("Sec-WebSocket-Version") else {
            return .failure(.init(.unsupportedVersion, "missing Sec-WebSocket-Version header; supported version is 13"))
        }
        guard version.trimmedWhitespace == "13" else {
            return .failure(.init(.unsupportedVersion, "unsupported Sec-WebSocket-Version '\(version)'; supported version is 13"))
        }
        guard let rawKey = headers("Sec-WebSocket-Key") else {
            return .failure(.init(.missingKey, "missing Sec-WebSocket-Key header"))
        }
        let key = rawKey.trimmedWhitespace
        guard let decoded = WebSocketBase64.decode(key), decoded.count == 16 else {
            return .failure(.init(.invalidKey, "Sec-WebSocket-Key must be base64 of 16 bytes"))
        }
        return .success(acceptValue(forKey: key))
    }

    /// base64(SHA-1(key + GUID)), RFC 6455 section 4.2.2.
    public static func acceptValue(forKey key: String) -> String {
        WebSocketBase64.encode(SHA1.hash(Array((key + guid).utf8)))
    }

    /// The complete 101 response head, blank line included.
    public static func responseHead(accept: String) -> [UInt8] {
        Array(("HTTP/1.1 101 Switching Protocols\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(accept)\r\n\r\n").utf8)
    }
}
