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
    /// Subscribers of one topic on one loop from which a fan-out writes in parallel
    /// (`ParallelFanout`); tests lower it to reach that path with a few clients.
    let parallelThreshold = Atomic<Int>(ParallelFanout.defaultThreshold)
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
                let stats = self.stats, time = self.time
                let parallelFrom = parallelThreshold.load(ordering: .relaxed)
                entry.loop.execute { subscribers.value.deliver(message, stats: stats, time: time, parallelFrom: parallelFrom) }
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
///
/// A fan-out to thousands of sockets is one `send` each, and the kernel's share of that
/// dominates (about 8-10 µs per loopback send here); what is ours is kept to a walk over a
/// contiguous array, with the counters updated once per fan-out rather than per socket.
final class LoopSubscribers {
    private var byTopic: [ContiguousArray<WebSocketConnection>]
    /// Position of each subscriber in its topic's array, for O(1) swap-removal.
    private var positions: [[ObjectIdentifier: Int]]

    init(topicCount: Int) {
        byTopic = [ContiguousArray<WebSocketConnection>](repeating: [], count: topicCount)
        positions = [[ObjectIdentifier: Int]](repeating: [:], count: topicCount)
    }

    func add(_ c: WebSocketConnection, _ topic: WebSocketTopic) {
        let id = ObjectIdentifier(c)
        guard positions[topic.index][id] == nil else { return }
        positions[topic.index][id] = byTopic[topic.index].count
        byTopic[topic.index].append(c)
    }

    func remove(_ c: WebSocketConnection, _ topic: WebSocketTopic) {
        let t = topic.index
        guard let at = positions[t].removeValue(forKey: ObjectIdentifier(c)) else { return }
        let last = byTopic[t].count - 1
        if at != last {
            let moved = byTopic[t][last]
            byTopic[t][at] = moved
            positions[t][ObjectIdentifier(moved)] = at
        }
        byTopic[t].removeLast()
    }

    func deliver(_ message: WebSocketTopicMessage, stats: WebSocketStats, time: any TimeSource, parallelFrom: Int) {
        let list = byTopic[message.topic.index]
        guard !list.isEmpty else { return }
        let started = time.monotonicNs()
        let lagMs = time.wallMs() - message.ts
        var written = 0
        if list.count >= parallelFrom && ParallelFanout.parallelism > 1 {
            var direct = ContiguousArray<WebSocketConnection>()
            var fds: [Int32] = []
            direct.reserveCapacity(list.count)
            fds.reserveCapacity(list.count)
            for c in list {
                if c.canTakeOutsideWrite(message) {
                    direct.append(c)
                    fds.append(c.socketFd)
                } else if c.deliver(message) {
                    written += 1
                }
            }
            var results = [Int](repeating: 0, count: fds.count)
            var errors = [Int32](repeating: 0, count: fds.count)
            ParallelFanout.send(message.frame, to: fds, results: &results, errors: &errors)
            for i in direct.indices {
                direct[i].wroteOutside(message, result: results[i], error: errors[i])
            }
            written += direct.count
        } else {
            for c in list where c.deliver(message) { written += 1 }
        }
        stats.sent(messages: written, bytes: written * message.frame.count)
        stats.fannedOut(micros: Int((time.monotonicNs() &- started) / 1000), lagMicros: Int(max(0, lagMs)) * 1000)
    }
}
