/// `/ws` (topic subscriptions), `/ws/echo` (conformance testing, off by default) and
/// `/api/v1/ws/stats`.
extension VitalsApp {
    /// Echo messages must fit Autobahn's largest case (16 MiB in 9.1.6/9.2.6) with room.
    static let echoMaxMessageBytes = 16 * 1024 * 1024 + 64 * 1024

    var webSocketSettings: WebSocketSettings {
        WebSocketSettings(maxMessageBytes: config.wsMaxMessageBytes, pingIntervalMs: Int64(config.wsPingIntervalMs),
                          pongTimeoutMs: Int64(config.wsPongTimeoutMs), maxQueuedEvents: config.wsMaxQueuedEvents)
    }

    func addWebSocketRoutes(_ r: inout Router) {
        let hub = self.hub
        let settings = webSocketSettings
        let corsOrigins = Set(config.corsOrigins)
        r.add("GET", "/ws", .upgrade { req in
            let topics = (req.query["topics"] ?? "").split(separator: ",").map { String($0.trimmedWhitespace) }.filter { !$0.isEmpty }
            return Self.upgradeDecision(req, corsOrigins: corsOrigins) { transport in
                WebSocketConnection(transport: transport, hub: hub, settings: settings, mode: .topics, topics: topics)
            }
        })
        if config.wsEchoEndpoint {
            var echo = settings
            echo.maxMessageBytes = max(settings.maxMessageBytes, Self.echoMaxMessageBytes)
            echo.maxPendingOutputBytes = max(settings.maxPendingOutputBytes, 4 * echo.maxMessageBytes)
            echo.pingIntervalMs = 0
            let echoSettings = echo
            r.add("GET", "/ws/echo", .upgrade { req in
                Self.upgradeDecision(req, corsOrigins: corsOrigins) { transport in
                    WebSocketConnection(transport: transport, hub: hub, settings: echoSettings, mode: .echo)
                }
            })
        }
        r.add("GET", "/api/v1/ws/stats", .inline { _ in .json(Self.encodeStats(hub)) })
    }

    /// Handshake checks (400/426), then the Origin check (403). Auth already ran in the router.
    static func upgradeDecision(_ req: HTTPRequest, corsOrigins: Set<String>,
                                make: @escaping @Sendable (UpgradedTransport) -> UpgradedProtocol) -> UpgradeDecision {
        switch WebSocketHandshake.validate(method: req.method, headers: { req.headerList($0.lowercased()) }) {
        case .failure(let e):
            var resp = HTTPResponse.error(e.status, e.status == 426 ? "upgrade_required" : "bad_handshake", e.message)
            resp.headers.append(contentsOf: e.responseHeaders.map { ($0.name, $0.value) })
            return .reject(resp)
        case .success(let accept):
            if let origin = req.header("origin"), !originAllowed(origin, host: req.header("host"), corsOrigins: corsOrigins) {
                return .reject(.error(403, "origin_not_allowed",
                                      "origin \(origin) may not open a WebSocket here; allowed: this server's own origin and server.cors_origins"))
            }
            return .accept(responseHead: WebSocketHandshake.responseHead(accept: accept), makeProtocol: make)
        }
    }

    /// A browser page may read the stream only from this server's own origin or a
    /// configured one; clients that send no Origin (curl, scripts) are not browsers.
    static func originAllowed(_ origin: String, host: String?, corsOrigins: Set<String>) -> Bool {
        if corsOrigins.contains(origin) { return true }
        guard let host, !host.isEmpty else { return false }
        let lower = origin.lowercased()
        let h = host.lowercased()
        return lower == "http://" + h || lower == "https://" + h
    }

    static func encodeStats(_ hub: TopicHub) -> [UInt8] {
        let s = hub.stats
        let counts = hub.subscriberCounts
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("open_connections", s.open)
        w.field("accepted_connections", s.acceptedConnections.load(ordering: .relaxed))
        w.key("subscribers")
        w.beginObject()
        for t in WebSocketTopic.allCases { w.field(t.rawValue, counts[t] ?? 0) }
        w.endObject()
        w.field("messages_sent", s.sentMessages)
        w.field("bytes_sent", s.sentBytes)
        w.field("messages_received", s.messagesReceived.load(ordering: .relaxed))
        w.field("conflated_snapshots", s.conflated)
        w.field("event_queue_overflows", s.overflows)
        w.field("heartbeat_timeouts", s.heartbeatTimeouts.load(ordering: .relaxed))
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
