import VitalsSupport
import VitalsTransport

/// `/ws` (topic subscriptions), `/ws/echo` (conformance testing, off by default) and
/// `GET /api/v1/ws/stats`.
struct WebSocketRoutes: RouteProvider {
    let hub: TopicHub
    let settings: WebSocketSettings
    let corsOrigins: Set<String>
    let echoEndpoint: Bool

    /// Echo messages must fit Autobahn's largest case (16 MiB in 9.1.6/9.2.6) with room.
    static let echoMaxMessageBytes = 16 * 1024 * 1024 + 64 * 1024

    static func upgradeSpec(_ path: String, _ summary: String) -> RouteSpec {
        RouteSpec.get(path, tag: "websocket", summary + ". An RFC 6455 upgrade: send Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13")
            .switchesProtocols("the connection is now a WebSocket (RFC 6455)")
            .fails(400, "the upgrade request is malformed", .badHandshake)
            .fails(403, "the page's Origin is not in server.cors_origins", .originNotAllowed)
            .fails(426, "this path only speaks WebSocket: send Upgrade: websocket", .upgradeRequired)
    }

    func register(in routes: inout RouteTable) {
        let hub = self.hub, settings = self.settings, corsOrigins = self.corsOrigins
        routes.add(Self.upgradeSpec("/ws", "Subscribe to topics (system_stats, generation_progress, queue_updates, alerts, activity)")
            .query("topics", Schema.array(.oneOf(hub.topics.map(\.name)), maxItems: 16)
                .described("comma-separated topics to start with; more can be subscribed by message")),
                   .upgrade { input in
            let topics = input.strings("topics") ?? []
            return WebSocketEndpoint.upgradeDecision(input.request, corsOrigins: corsOrigins) { transport in
                WebSocketConnection(transport: transport, hub: hub, settings: settings, mode: .topics, topics: topics)
            }
        })
        if echoEndpoint {
            var echo = settings
            echo.maxMessageBytes = max(settings.maxMessageBytes, Self.echoMaxMessageBytes)
            echo.maxPendingOutputBytes = max(settings.maxPendingOutputBytes, 4 * echo.maxMessageBytes)
            echo.pingIntervalMs = 0
            let echoSettings = echo
            routes.add(Self.upgradeSpec("/ws/echo", "Echo every message back (conformance testing; off unless websocket.echo_endpoint)"),
                       .upgrade { input in
                WebSocketEndpoint.upgradeDecision(input.request, corsOrigins: corsOrigins) { transport in
                    WebSocketConnection(transport: transport, hub: hub, settings: echoSettings, mode: .echo)
                }
            })
        }
        routes.add(.get("/api/v1/ws/stats", tag: "websocket", "WebSocket connection, subscriber and delivery counters")
            .responds(200, "the counters", json: ResponseSchemas.webSocketStats),
                   .inline { _ in .json(WebSocketEndpoint.statsJSON(hub)) })
    }
}
