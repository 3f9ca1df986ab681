import VitalsSupport

/// A stream that WebSocket clients subscribe to by name. The application registers its
/// topics with the hub at start (`TopicHub.register`); the transport knows none by name.
public struct WebSocketTopic: Sendable, Hashable {
    /// How a slow client is served.
    public enum Delivery: Sendable {
        /// Each message replaces the last (snapshots): a slow client gets only the newest.
        case latestValueWins
        /// Each message matters (events): queued per client up to a bound, then the client is closed.
        case queued
    }

    public let name: String
    public let delivery: Delivery
    /// Dense index for per-topic arrays, in registration order.
    let index: Int

    var isLatestValueWins: Bool { delivery == .latestValueWins }

    public static func == (a: WebSocketTopic, b: WebSocketTopic) -> Bool { a.index == b.index }
    public func hash(into h: inout Hasher) { h.combine(index) }
}

/// One server message, encoded and framed once, shared by every subscriber on every loop
/// (server frames are unmasked, so the bytes are the same for all).
public struct WebSocketTopicMessage: Sendable {
    public let topic: WebSocketTopic
    public let seq: UInt64
    public let ts: Int64
    /// The complete text frame: header + `{"type":"event","topic":...,"ts":...,"seq":...,"data":...}`.
    public let frame: [UInt8]

    init(topic: WebSocketTopic, seq: UInt64, ts: Int64, data: [UInt8]) {
        self.topic = topic
        self.seq = seq
        self.ts = ts
        var w = JSONWriter(capacity: data.count + 96)
        w.beginObject()
        w.field("type", "event")
        w.field("topic", topic.name)
        w.field("ts", ts)
        w.field("seq", seq)
        w.key("data")
        w.raw(data)
        w.endObject()
        frame = WebSocketFrame.encodeText(w.bytes)
    }
}
