import VitalsSupport
import Synchronization

/// Topic fan-out for every WebSocket connection of every loop.
///
/// `publish` may be called from any thread. It builds the message and its frame once,
/// keeps it as the topic's current state (sent first to each new subscriber), and adds it
/// to the pending messages of each loop that has subscribers; the first one pending wakes
/// the loop with one `execute`. The loop takes everything pending at once and passes it to
/// its connections as runs (consecutive messages of one topic, framed back to back: one
/// send per subscriber per run), and the connections apply their own backpressure. A loop
/// never waits on another, and no lock is held while a socket is written.
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
        let pending = PendingMessages()
    }

    /// Published for one loop, in publish order, not yet taken by it, and when the loop
    /// will take them. A class so that a publish appends without writing to (and copying)
    /// the loops dictionary; touched only under `state`'s lock.
    private final class PendingMessages: @unchecked Sendable {
        var messages: [WebSocketTopicMessage] = []
        /// A drain is queued on the loop to run as soon as it can.
        var drainQueued = false
        /// A drain is timed to run at the end of the batching window.
        var drainTimed = false
        var lastDrainMs: Int64 = 0
    }

    /// Events closer together than this reach a loop together: a burst (thousands of job
    /// progress updates a second) costs one send per subscriber per window instead of one
    /// per event. An event after a quiet spell, and every snapshot, go out at once. On the
    /// loops' own clock (`Clock`), like their epoll timeouts: this is scheduling, not a
    /// figure anyone reads.
    static let eventBatchWindowMs: Int64 = 10

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
            // Added under the lock so that every loop sees one topic's messages in seq order.
            // The clock is read once per publish, and only if some loop has no drain queued.
            var monotonicNow: Int64?
            for entry in s.loops.values where entry.counts[topic.index] > 0 {
                let pending = entry.pending, loop = entry.loop
                pending.messages.append(message)
                if pending.drainQueued { continue }
                let now = monotonicNow ?? Clock.monotonicMs()
                monotonicNow = now
                let wait = pending.lastDrainMs + Self.eventBatchWindowMs - now
                if topic.isLatestValueWins || wait <= 0 {
                    pending.drainQueued = true
                    loop.execute { [self] in self.drain(loop) }
                } else if !pending.drainTimed {
                    pending.drainTimed = true
                    loop.execute { [self] in loop.after(ms: wait) { self.drain(loop, timed: true) } }
                }
            }
            return message.seq
        }
    }

    /// Hands `loop` everything published for it since its last drain. Loop thread only.
    private func drain(_ loop: EventLoop, timed: Bool = false) {
        let taken = state.withLock { s -> (LoopBound<LoopSubscribers>, [WebSocketTopicMessage])? in
            guard let entry = s.loops[ObjectIdentifier(loop)] else { return nil }
            let pending = entry.pending
            if timed { pending.drainTimed = false } else { pending.drainQueued = false }
            guard !pending.messages.isEmpty else { return nil }
            pending.lastDrainMs = Clock.monotonicMs()
            let messages = pending.messages
            pending.messages = []
            return (entry.subscribers, messages)
        }
        guard let (subscribers, messages) = taken else { return }
        let parallelFrom = parallelThreshold.load(ordering: .relaxed)
        var from = 0
        while from < messages.count {
            // A run: the longest stretch of one topic, so the order across topics holds too.
            var to = from + 1
            while to < messages.count && messages[to].topic == messages[from].topic { to += 1 }
            let run = WebSocketTopicRun(Array(messages[from..<to]))
            subscribers.value.deliver(run, stats: stats, time: time, parallelFrom: parallelFrom)
            from = to
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

    func deliver(_ run: WebSocketTopicRun, stats: WebSocketStats, time: any TimeSource, parallelFrom: Int) {
        let list = byTopic[run.topic.index]
        guard !list.isEmpty else { return }
        let started = time.monotonicNs()
        let lagMs = time.wallMs() - run.messages[0].ts
        var messages = 0, bytes = 0
        if list.count >= parallelFrom && ParallelFanout.parallelism > 1 {
            var direct = ContiguousArray<WebSocketConnection>()
            var fds: [Int32] = []
            direct.reserveCapacity(list.count)
            fds.reserveCapacity(list.count)
            for c in list {
                if c.canTakeOutsideWrite(run) {
                    direct.append(c)
                    fds.append(c.socketFd)
                } else {
                    let (m, b) = c.deliver(run)
                    messages += m; bytes += b
                }
            }
            var results = [Int](repeating: 0, count: fds.count)
            var errors = [Int32](repeating: 0, count: fds.count)
            ParallelFanout.send(run.bytes, to: fds, results: &results, errors: &errors)
            for i in direct.indices {
                direct[i].wroteOutside(run, result: results[i], error: errors[i])
            }
            messages += direct.count * run.messages.count
            bytes += direct.count * run.bytes.count
        } else {
            for c in list {
                let (m, b) = c.deliver(run)
                messages += m; bytes += b
            }
        }
        stats.sent(messages: messages, bytes: bytes)
        stats.fannedOut(micros: Int((time.monotonicNs() &- started) / 1000), lagMicros: Int(max(0, lagMs)) * 1000)
    }
}
