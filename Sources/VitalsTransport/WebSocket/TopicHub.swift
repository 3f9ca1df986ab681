import VitalsSupport
import Synchronization

/// Topic fan-out for every WebSocket connection of every loop.
///
/// `publish` may be called from any thread. It builds the message and its frame once,
/// keeps it as the topic's current state (sent first to each new subscriber), and hands
/// the shared frame to each loop that has subscribers with one `execute`; the loop then
/// passes it to its connections, which apply their own backpressure. A loop never
/// waits on another, and no lock is held while a socket is written.
public final class TopicHub: Sendable {
    public let stats = WebSocketStats()
    private let state = Mutex<State>(State())
    /// Stamps messages published without a `ts` and the replies to clients.
    public let time: any TimeSource

    private struct LoopEntry {
        let loop: EventLoop
        let subscribers: LoopBound<LoopSubscribers>
        var counts: [Int]
    }

    private struct State {
        var topics: [WebSocketTopic] = []
        var loops: [ObjectIdentifier: LoopEntry] = [:]
        var last: [WebSocketTopicMessage?] = []
        var seq: [UInt64] = []
    }

    public init(time: any TimeSource = SystemTime()) {
        self.time = time
    }

    /// Adds a topic clients may subscribe to by `name`. Register every topic before the
    /// server starts; registering a name twice returns the first registration.
    @discardableResult
    public func register(_ name: String, delivery: WebSocketTopic.Delivery) -> WebSocketTopic {
        state.withLock { s in
            if let known = s.topics.first(where: { $0.name == name }) { return known }
            let topic = WebSocketTopic(name: name, delivery: delivery, index: s.topics.count)
            s.topics.append(topic)
            s.last.append(nil)
            s.seq.append(0)
            return topic
        }
    }

    /// Every registered topic, in registration order.
    public var topics: [WebSocketTopic] { state.withLock { $0.topics } }

    public func topic(named name: String) -> WebSocketTopic? {
        state.withLock { s in s.topics.first { $0.name == name } }
    }

    /// Publishes `data` (one JSON value, e.g. an object) on `topic`: every subscriber
    /// gets `{"type":"event","topic":...,"ts":...,"seq":...,"data":<data>}`. Thread-safe
    /// and cheap: the frame is built once and the work per loop is one queued closure.
    /// `ts` defaults to now (wall-clock ms). Returns the message's sequence number.
    @discardableResult
    public func publish(_ topic: WebSocketTopic, data: [UInt8], ts: Int64? = nil) -> UInt64 {
        let when = ts ?? time.wallMs()
        return state.withLock { s in
            s.seq[topic.index] += 1
            let message = WebSocketTopicMessage(topic: topic, seq: s.seq[topic.index], ts: when, data: data)
            s.last[topic.index] = message
            // Queued under the lock so that every loop sees one topic's messages in seq order.
            for entry in s.loops.values where entry.counts[topic.index] > 0 {
                let subscribers = entry.subscribers
                entry.loop.execute { subscribers.value.deliver(message) }
            }
            return message.seq
        }
    }

    /// The topic's current state: the last message published on it, if any.
    public func current(_ topic: WebSocketTopic) -> WebSocketTopicMessage? {
        state.withLock { $0.last[topic.index] }
    }

    /// Subscribers per topic, over all loops.
    public var subscriberCounts: [(topic: WebSocketTopic, subscribers: Int)] {
        state.withLock { s in
            s.topics.map { t in (t, s.loops.values.reduce(0) { $0 + ($1.counts.count > t.index ? $1.counts[t.index] : 0) }) }
        }
    }

    // MARK: loop side

    /// Adds `connection` to `topic` on its loop; returns the topic's current state to
    /// send first. Loop thread only.
    func subscribe(_ connection: WebSocketConnection, to topic: WebSocketTopic, on loop: EventLoop) -> WebSocketTopicMessage? {
        let (subscribers, last) = state.withLock { s -> (LoopBound<LoopSubscribers>, WebSocketTopicMessage?) in
            let key = ObjectIdentifier(loop)
            if s.loops[key] == nil {
                s.loops[key] = LoopEntry(loop: loop, subscribers: LoopBound(LoopSubscribers(topicCount: s.topics.count)),
                                         counts: [Int](repeating: 0, count: s.topics.count))
            }
            s.loops[key]!.counts[topic.index] += 1
            return (s.loops[key]!.subscribers, s.last[topic.index])
        }
        subscribers.value.add(connection, topic)
        return last
    }

    /// Loop thread only.
    func unsubscribe(_ connection: WebSocketConnection, from topic: WebSocketTopic, on loop: EventLoop) {
        let subscribers = state.withLock { s -> LoopBound<LoopSubscribers>? in
            let key = ObjectIdentifier(loop)
            guard s.loops[key] != nil else { return nil }
            s.loops[key]!.counts[topic.index] -= 1
            return s.loops[key]!.subscribers
        }
        subscribers?.value.remove(connection, topic)
    }
}

/// The subscribers of one loop, per topic. Touched only on that loop's thread.
final class LoopSubscribers {
    private var byTopic: [[ObjectIdentifier: WebSocketConnection]]

    init(topicCount: Int) {
        byTopic = [[ObjectIdentifier: WebSocketConnection]](repeating: [:], count: topicCount)
    }

    func add(_ c: WebSocketConnection, _ topic: WebSocketTopic) {
        byTopic[topic.index][ObjectIdentifier(c)] = c
    }

    func remove(_ c: WebSocketConnection, _ topic: WebSocketTopic) {
        byTopic[topic.index].removeValue(forKey: ObjectIdentifier(c))
    }

    func deliver(_ message: WebSocketTopicMessage) {
        for c in byTopic[message.topic.index].values { c.deliver(message) }
    }
}
