/// The streams a WebSocket client can subscribe to.
public enum WebSocketTopic: String, CaseIterable, Sendable {
    /// Every sampler tick; latest value wins for slow clients.
    case systemStats = "system_stats"
    case generationProgress = "generation_progress"
    case queueUpdates = "queue_updates"
    case alerts
    case activity

    /// Dense index for per-topic arrays.
    var index: Int {
        switch self {
        case .systemStats: return 0
        case .generationProgress: return 1
        case .queueUpdates: return 2
        case .alerts: return 3
        case .activity: return 4
        }
    }

    static let count = 5

    /// Snapshots replace each other, so a slow client needs only the newest; events
    /// each matter and are queued.
    var isLatestValueWins: Bool { self == .systemStats }

    public static var names: [String] { allCases.map(\.rawValue) }
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
        w.field("topic", topic.rawValue)
        w.field("ts", ts)
        w.field("seq", seq)
        w.key("data")
        w.raw(data)
        w.endObject()
        frame = WebSocketFrame.encodeText(w.bytes)
    }
}
