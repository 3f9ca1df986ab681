import VitalsTransport

/// The WebSocket topics Vitals publishes, registered by name with the hub at start.
public struct VitalsTopics: Sendable {
    /// Every sampler tick; a slow client gets only the newest snapshot.
    public let systemStats: WebSocketTopic
    public let generationProgress: WebSocketTopic
    public let queueUpdates: WebSocketTopic
    public let alerts: WebSocketTopic
    public let activity: WebSocketTopic

    public init(hub: TopicHub) {
        systemStats = hub.register("system_stats", delivery: .latestValueWins)
        generationProgress = hub.register("generation_progress", delivery: .queued)
        queueUpdates = hub.register("queue_updates", delivery: .queued)
        alerts = hub.register("alerts", delivery: .queued)
        activity = hub.register("activity", delivery: .queued)
    }
}
