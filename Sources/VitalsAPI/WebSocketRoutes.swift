import VitalsSupport
import VitalsTransport
import VitalsCore
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
            return WebSocketEndpoint.upgradeDecision(req, corsOrigins: corsOrigins) { transport in
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
                WebSocketEndpoint.upgradeDecision(req, corsOrigins: corsOrigins) { transport in
                    WebSocketConnection(transport: transport, hub: hub, settings: echoSettings, mode: .echo)
                }
            })
        }
        r.add("GET", "/api/v1/ws/stats", .inline { _ in .json(WebSocketEndpoint.statsJSON(hub)) })
    }

}
