import VitalsSupport
/// Limits and timers of one WebSocket connection.
public struct WebSocketSettings: Sendable {
    public var maxMessageBytes: Int
    /// A connection that sent nothing for this long gets a ping (0: no heartbeat).
    public var pingIntervalMs: Int64
    /// How long an unanswered ping may wait before the peer is dropped.
    public var pongTimeoutMs: Int64
    /// Event-topic messages a slow client may have waiting before it is closed with 1008.
    public var maxQueuedEvents: Int
    /// How long our close frame may wait for the peer's answer.
    public var closeTimeoutMs: Int64 = 5_000
    /// After our FIN, how long to read and discard before closing anyway.
    public var lingerMs: Int64 = 2_000
    /// Unsent output above this means the client is behind: snapshots are conflated
    /// and events queued instead of being written.
    public var backpressureBytes = 64 * 1024
    /// Unsent output above this closes the connection (a client that sends but never reads).
    public var maxPendingOutputBytes: Int

    public init(maxMessageBytes: Int, pingIntervalMs: Int64, pongTimeoutMs: Int64, maxQueuedEvents: Int) {
        self.maxMessageBytes = maxMessageBytes
        self.pingIntervalMs = pingIntervalMs
        self.pongTimeoutMs = pongTimeoutMs
        self.maxQueuedEvents = maxQueuedEvents
        self.maxPendingOutputBytes = max(8 << 20, 4 * maxMessageBytes)
    }
}

/// Drives a `WebSocketSession` over an upgraded HTTP connection: topic subscriptions
/// (`.topics`, the `/ws` endpoint) or echo of every message (`.echo`, for conformance
/// tests). Lives on its loop thread.
public final class WebSocketConnection: UpgradedProtocol {
    public enum Mode: Sendable { case topics, echo }

    private let transport: UpgradedTransport
    private let session: WebSocketSession
    private let hub: TopicHub
    private let settings: WebSocketSettings
    private let mode: Mode
    private var subscribed: [Bool]
    /// Highest seq written per topic: a message that reaches us both as the current
    /// state on subscribe and through the fan-out is sent once.
    private var lastSeq: [UInt64]
    /// The hub's topics, fixed once the server serves.
    private let topics: [WebSocketTopic]
    /// The newest snapshot a backed-up client has not been sent yet.
    private var pendingSnapshot: WebSocketTopicMessage?
    private var queuedEvents: [WebSocketTopicMessage] = []
    private var queueHead = 0
    private var lastInboundMs: Int64
    private var pingSentMs: Int64?
    private var pingCounter: UInt32 = 0
    /// Graceful close started or socket gone: nothing more is read or written.
    private var finished = false
    private var closeRecorded = false
    private var released = false

    public init(transport: UpgradedTransport, hub: TopicHub, settings: WebSocketSettings, mode: Mode, topics: [String] = []) {
        self.transport = transport
        self.hub = hub
        self.settings = settings
        self.mode = mode
        self.topics = hub.topics
        self.subscribed = [Bool](repeating: false, count: self.topics.count)
        self.lastSeq = [UInt64](repeating: 0, count: self.topics.count)
        self.session = WebSocketSession(maxMessageBytes: settings.maxMessageBytes, closeTimeoutMs: settings.closeTimeoutMs)
        self.lastInboundMs = transport.loop.nowMs
        hub.stats.openConnections.add(1, ordering: .relaxed)
        hub.stats.acceptedConnections.add(1, ordering: .relaxed)
        if !topics.isEmpty {
            subscribe(topics)
            flushSession()
        }
    }

    private var stats: WebSocketStats { hub.stats }
    private var isBackedUp: Bool { transport.pendingOutputBytes > settings.backpressureBytes }

    // MARK: UpgradedProtocol

    public func received(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard !finished else { return }
        let now = transport.loop.nowMs
        lastInboundMs = now
        pingSentMs = nil  // any traffic proves the peer is alive
        let events = session.receive(UnsafeRawBufferPointer(bytes), nowMs: now)
        for e in events { handle(e) }
        flushSession()
    }

    public func outputDrained() {
        guard !finished, session.canSend else { return }
        // Queued events go out as one write of up to `backpressureBytes`, not one each.
        while queueHead < queuedEvents.count && !isBackedUp {
            var batch: [UInt8] = []
            var count = 0
            while queueHead < queuedEvents.count && (count == 0 || batch.count + queuedEvents[queueHead].frame.count <= settings.backpressureBytes) {
                let m = queuedEvents[queueHead]
                queueHead += 1
                count += 1
                lastSeq[m.topic.index] = m.seq
                batch.append(contentsOf: m.frame)
            }
            moveSessionOutput()
            transport.send(batch)
            stats.sent(messages: count, bytes: batch.count)
        }
        if queueHead == queuedEvents.count {
            queuedEvents.removeAll(keepingCapacity: queuedEvents.count <= 64)
            queueHead = 0
        }
        if let s = pendingSnapshot, !isBackedUp {
            pendingSnapshot = nil
            write(s)
            stats.sent(bytes: s.frame.count)
        }
    }

    public func tick(nowMs: Int64) {
        guard !finished else { return }
        for e in session.tick(nowMs: nowMs) { handle(e) }
        if mode == .topics && session.state == .open && settings.pingIntervalMs > 0 {
            if let sent = pingSentMs {
                if nowMs - sent >= settings.pongTimeoutMs {
                    stats.heartbeatTimeouts.add(1, ordering: .relaxed)
                    abandon(code: WebSocketCloseCode.goingAway,
                            reason: "no answer to ping within \(settings.pongTimeoutMs) ms")
                    return
                }
            } else if nowMs - lastInboundMs >= settings.pingIntervalMs {
                pingCounter &+= 1
                let c = pingCounter
                session.ping([UInt8(truncatingIfNeeded: c >> 24), UInt8(truncatingIfNeeded: c >> 16),
                              UInt8(truncatingIfNeeded: c >> 8), UInt8(truncatingIfNeeded: c)])
                pingSentMs = nowMs
            }
        }
        flushSession()
    }

    public func closed() {
        finished = true
        recordClose(nil)
        release()
    }

    /// A client that sees 1001 knows the server went away on purpose and may reconnect,
    /// rather than taking a bare TCP close for a crash (1006).
    public func serverStopping() {
        guard !finished else { return }
        session.close(code: WebSocketCloseCode.goingAway, reason: "server shutting down")
        recordClose(WebSocketCloseCode.goingAway)
        moveSessionOutput()
        finished = true
        release()
    }

    // MARK: events

    private func handle(_ event: WebSocketEvent) {
        switch event {
        case .text(let m):
            stats.messagesReceived.add(1, ordering: .relaxed)
            if mode == .echo {
                sendCounted(.text, m)
            } else {
                clientMessage(m)
            }
        case .binary(let m):
            stats.messagesReceived.add(1, ordering: .relaxed)
            if mode == .echo {
                sendCounted(.binary, m)
            } else {
                sendError("binary messages are not understood here; send JSON text messages")
            }
        case .pong:
            break
        case .closed(let code, _):
            recordClose(code)
            dropSubscriptions()
        }
    }

    private func clientMessage(_ bytes: [UInt8]) {
        switch WebSocketClientMessage.parse(bytes) {
        case .failure(let e):
            sendError(e.message)
        case .success(.ping):
            reply("pong") { _ in }
        case .success(.subscribe(let names)):
            subscribe(names)
        case .success(.unsubscribe(let names)):
            unsubscribe(names)
        }
    }

    private func subscribe(_ names: [String]) {
        var unknown: [String] = []
        var current: [WebSocketTopicMessage] = []
        for name in names {
            guard let topic = topics.first(where: { $0.name == name }) else { unknown.append(name); continue }
            guard !subscribed[topic.index] else { continue }
            subscribed[topic.index] = true
            if let last = hub.subscribe(self, to: topic, on: transport.loop) { current.append(last) }
        }
        if !unknown.isEmpty { sendUnknownTopics(unknown) }
        reply("subscribed") { w in w.key("topics"); self.writeSubscriptions(&w) }
        for m in current where deliver(m) { stats.sent(bytes: m.frame.count) }
    }

    private func unsubscribe(_ names: [String]) {
        var unknown: [String] = []
        for name in names {
            guard let topic = topics.first(where: { $0.name == name }) else { unknown.append(name); continue }
            guard subscribed[topic.index] else { continue }
            subscribed[topic.index] = false
            hub.unsubscribe(self, from: topic, on: transport.loop)
            if topic.isLatestValueWins { pendingSnapshot = nil }
        }
        if !unknown.isEmpty { sendUnknownTopics(unknown) }
        reply("unsubscribed") { w in w.key("topics"); self.writeSubscriptions(&w) }
    }

    private func writeSubscriptions(_ w: inout JSONWriter) {
        w.beginArray()
        for t in topics where subscribed[t.index] { w.string(t.name) }
        w.endArray()
    }

    private func sendUnknownTopics(_ unknown: [String]) {
        sendError("unknown topic\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); known topics: \(topics.map(\.name).joined(separator: ", "))")
    }

    private func sendError(_ message: String) {
        reply("error") { w in w.field("message", message) }
    }

    /// `{"type":<type>,"ts":<now>,...}` through the session, so it stays in order with
    /// pongs and close frames.
    private func reply(_ type: String, _ body: (inout JSONWriter) -> Void) {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.field("type", type)
        w.field("ts", hub.time.wallMs())
        body(&w)
        w.endObject()
        sendCounted(.text, w.bytes)
    }

    private func sendCounted(_ opcode: WebSocketOpcode, _ payload: [UInt8]) {
        let ok = opcode == .text ? session.sendText(payload) : session.sendBinary(payload)
        if ok { stats.sent(bytes: WebSocketFrame.headerLength(payloadLength: payload.count) + payload.count) }
    }

    // MARK: topic delivery

    /// The topic's current state, sent on subscribe. True when it was written now.
    private func deliver(_ m: WebSocketTopicMessage) -> Bool {
        deliver(WebSocketTopicRun([m])).messages > 0
    }

    /// Messages from the hub. Applies this connection's backpressure: never blocks,
    /// never touches another connection. Returns what was written now (the caller counts
    /// it); what is held back (conflated, queued) or not for this connection is not.
    func deliver(_ run: WebSocketTopicRun) -> (messages: Int, bytes: Int) {
        let i = run.topic.index
        // `.open`, not `canSend`: a close frame the session holds back must stay last.
        guard !finished, session.state == .open, subscribed[i],
              let (first, offset) = run.unsent(after: lastSeq[i]) else { return (0, 0) }
        if run.topic.isLatestValueWins && (isBackedUp || pendingSnapshot != nil) {
            // Behind: only the newest snapshot is kept for it.
            let m = run.messages[run.messages.count - 1]
            let replaced = (pendingSnapshot.map { $0.seq < m.seq } ?? false ? 1 : 0) + run.messages.count - 1 - first
            if replaced > 0 { stats.conflatedSnapshots.add(replaced, ordering: .relaxed) }
            pendingSnapshot = m
            if !isBackedUp { outputDrained() }
            return (0, 0)
        }
        if !run.topic.isLatestValueWins && (isBackedUp || queueHead < queuedEvents.count) {
            queuedEvents.append(contentsOf: run.messages[first...])
            if queuedEvents.count - queueHead > settings.maxQueuedEvents {
                stats.eventQueueOverflows.add(1, ordering: .relaxed)
                abandon(code: WebSocketCloseCode.policyViolation,
                        reason: "more than \(settings.maxQueuedEvents) events queued: the client is not reading")
            }
            return (0, 0)
        }
        lastSeq[i] = run.lastSeq
        moveSessionOutput()
        run.bytes.withUnsafeBytes { transport.send(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        return (run.messages.count - first, run.bytes.count - offset)
    }

    /// True when `deliver(run)` would write all of `run` straight to an idle socket: then
    /// a fan-out may write it from another thread (`ParallelFanout`) and report with
    /// `wroteOutside`.
    func canTakeOutsideWrite(_ run: WebSocketTopicRun) -> Bool {
        let i = run.topic.index
        return !finished && session.state == .open && subscribed[i] && run.firstSeq > lastSeq[i]
            && pendingSnapshot == nil && queueHead == queuedEvents.count
            && session.outbound.isEmpty && transport.pendingOutputBytes == 0
    }

    var socketFd: Int32 { transport.socketFd }

    /// `run`'s bytes were sent outside (`result`, `error` from send(2)); the rest is queued here.
    func wroteOutside(_ run: WebSocketTopicRun, result: Int, error: Int32) {
        lastSeq[run.topic.index] = run.lastSeq
        run.bytes.withUnsafeBytes { transport.completeOutsideSend($0, result: result, error: error) }
    }

    /// Shared frame bytes straight to the transport, behind whatever the session queued
    /// (a `subscribed` reply goes out before the topic's current state).
    private func write(_ m: WebSocketTopicMessage) {
        lastSeq[m.topic.index] = m.seq
        moveSessionOutput()
        transport.send(m.frame)
    }

    // MARK: closing

    private func flushSession() {
        guard !finished else { return }
        // Reading `outbound` releases a close frame the session held back until the
        // replies to the events just handled were queued.
        moveSessionOutput()
        guard !finished else { return }  // the send may have found the socket dead
        if session.shouldCloseTCP {
            finish()
        } else if transport.pendingOutputBytes > settings.maxPendingOutputBytes {
            abandon(code: WebSocketCloseCode.policyViolation, reason: "too much unread output: the client is not reading")
        }
    }

    /// Closes a peer that is not keeping up (or not answering): our close frame goes
    /// out behind what is queued, and TCP is shut without waiting for the peer's reply.
    private func abandon(code: UInt16, reason: String) {
        queuedEvents = []
        queueHead = 0
        pendingSnapshot = nil
        session.close(code: code, reason: reason)
        recordClose(code)
        moveSessionOutput()
        finish()
    }

    private func moveSessionOutput() {
        guard !session.outbound.isEmpty else { return }
        session.outbound.withUnsafeBytes { transport.send($0) }
        let keep = session.outbound.count <= 64 * 1024
        session.outbound.removeAll(keepingCapacity: keep)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        release()
        transport.closeGracefully(lingerMs: settings.lingerMs)
    }

    private func recordClose(_ code: UInt16?) {
        guard !closeRecorded else { return }
        closeRecorded = true
        stats.closed(code: code)
    }

    private func dropSubscriptions() {
        for t in topics where subscribed[t.index] {
            subscribed[t.index] = false
            hub.unsubscribe(self, from: t, on: transport.loop)
        }
        pendingSnapshot = nil
        queuedEvents = []
        queueHead = 0
    }

    private func release() {
        guard !released else { return }
        released = true
        dropSubscriptions()
        stats.openConnections.subtract(1, ordering: .relaxed)
    }
}
