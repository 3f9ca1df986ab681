import VitalsSupport
import VitalsTransport
import VitalsCore

/// The WebSocket layer's counters (`WebSocketStats`) as `/metrics` families.
func writeWebSocketMetrics(_ s: WebSocketStats, into w: inout ExpositionWriter) {
    w.family("vitals_websocket_connections", help: "WebSocket connections open now.", kind: .gauge)
    w.sample(Double(s.open))
    w.family("vitals_websocket_connections_accepted", help: "WebSocket connections accepted since start.", kind: .counter)
    w.sample(Double(s.acceptedConnections.load(ordering: .relaxed)))
    w.family("vitals_websocket_messages_sent", help: "WebSocket messages sent.", kind: .counter)
    w.sample(Double(s.sentMessages))
    w.family("vitals_websocket_sent_bytes", help: "WebSocket bytes sent.", kind: .counter, unit: .bytes)
    w.sample(Double(s.sentBytes))
    w.family("vitals_websocket_messages_received", help: "WebSocket messages received.", kind: .counter)
    w.sample(Double(s.messagesReceived.load(ordering: .relaxed)))
    w.family("vitals_websocket_snapshots_conflated",
             help: "Snapshots replaced by a newer one before a slow client took them.", kind: .counter)
    w.sample(Double(s.conflated))
}
