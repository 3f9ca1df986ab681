import VitalsSupport

/// The HTTP side of a WebSocket endpoint: the handshake and Origin checks of an upgrade
/// route, and the counters every endpoint shares.
public enum WebSocketEndpoint {
    /// Handshake checks (400/426), then the Origin check (403). Auth already ran in the router.
    public static func upgradeDecision(_ req: HTTPRequest, corsOrigins: Set<String>,
                                make: @escaping @Sendable (UpgradedTransport) -> UpgradedProtocol) -> UpgradeDecision {
        // RFC 6455 4.1: the opening handshake is an HTTP/1.1 request; a 1.0 client cannot
        // keep the connection it asks to upgrade.
        guard req.minorVersion >= 1 else {
            return .reject(.error(400, .badHandshake, "a WebSocket upgrade needs HTTP/1.1"))
        }
        switch WebSocketHandshake.validate(method: req.method, headers: { req.headerList($0.lowercased()) }) {
        case .failure(let e):
            var resp = HTTPResponse.error(e.status, e.status == 426 ? .upgradeRequired : .badHandshake, e.message)
            resp.headers.append(contentsOf: e.responseHeaders.map { ($0.name, $0.value) })
            return .reject(resp)
        case .success(let accept):
            if let origin = req.header("origin"), !originAllowed(origin, host: req.header("host"), corsOrigins: corsOrigins) {
                return .reject(.error(403, .originNotAllowed,
                                      "origin \(origin) may not open a WebSocket here; allowed: this server's own origin and server.cors_origins"))
            }
            return .accept(responseHead: WebSocketHandshake.responseHead(accept: accept), makeProtocol: make)
        }
    }

    /// A browser page may read the stream only from this server's own origin or a
    /// configured one; clients that send no Origin (curl, scripts) are not browsers.
    public static func originAllowed(_ origin: String, host: String?, corsOrigins: Set<String>) -> Bool {
        if corsOrigins.contains(origin) { return true }
        guard let host, !host.isEmpty else { return false }
        let lower = origin.lowercased()
        let h = host.lowercased()
        return lower == "http://" + h || lower == "https://" + h
    }

    /// `GET /api/v1/ws/stats`: connections, subscribers per topic, messages and closes.
    public static func statsJSON(_ hub: TopicHub) -> [UInt8] {
        let s = hub.stats
        let counts = hub.subscriberCounts
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("open_connections", s.open)
        w.field("accepted_connections", s.acceptedConnections.load(ordering: .relaxed))
        w.key("subscribers")
        w.beginObject()
        for (t, n) in counts { w.field(t.name, n) }
        w.endObject()
        w.field("messages_sent", s.sentMessages)
        w.field("bytes_sent", s.sentBytes)
        w.field("messages_received", s.messagesReceived.load(ordering: .relaxed))
        w.field("conflated_snapshots", s.conflated)
        w.field("event_queue_overflows", s.overflows)
        w.field("heartbeat_timeouts", s.heartbeatTimeouts.load(ordering: .relaxed))
        w.key("fanout"); w.beginObject()
        w.field("count", s.fanouts.load(ordering: .relaxed))
        w.field("last_us", s.lastFanoutMicros.load(ordering: .relaxed))
        w.field("max_us", s.maxFanoutMicros.load(ordering: .relaxed))
        w.field("last_start_lag_us", s.lastFanoutLagMicros.load(ordering: .relaxed))
        w.endObject()
        w.key("closes_by_code")
        w.beginObject()
        for (code, n) in s.closesByCode.sorted(by: { $0.key < $1.key }) {
            // 0 stands for a connection that ended without a close frame: 1006 in RFC terms.
            w.field(code == 0 ? "1006" : String(code), n)
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }
}
