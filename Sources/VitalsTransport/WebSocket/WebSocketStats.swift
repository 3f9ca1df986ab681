import VitalsSupport
import Synchronization

/// Counters for `/api/v1/ws/stats`, updated from every loop thread.
public final class WebSocketStats: Sendable {
    public let openConnections = Atomic<Int>(0)
    public let acceptedConnections = Atomic<Int>(0)
    public let messagesSent = Atomic<Int>(0)
    public let bytesSent = Atomic<Int>(0)
    public let messagesReceived = Atomic<Int>(0)
    /// Snapshots replaced by a newer one before a slow client could take them.
    public let conflatedSnapshots = Atomic<Int>(0)
    /// Connections closed because their event queue passed `max_queued_events`.
    public let eventQueueOverflows = Atomic<Int>(0)
    public let heartbeatTimeouts = Atomic<Int>(0)
    /// Fan-outs of one message to one loop's subscribers, and how long the last and the
    /// slowest took: from the message's timestamp to the start of the writes (the lag) and
    /// for the writes themselves (µs). This is where a broadcast's delay goes.
    public let fanouts = Atomic<Int>(0)
    public let lastFanoutMicros = Atomic<Int>(0)
    public let maxFanoutMicros = Atomic<Int>(0)
    public let lastFanoutLagMicros = Atomic<Int>(0)
    /// Close code (0 = the TCP connection ended without a close frame) → count.
    private let closes = Mutex<[UInt16: Int]>([:])

    public init() {}

    func sent(bytes: Int) {
        messagesSent.add(1, ordering: .relaxed)
        bytesSent.add(bytes, ordering: .relaxed)
    }

    /// One update per fan-out instead of two atomic adds per subscriber.
    func sent(messages: Int, bytes: Int) {
        guard messages > 0 else { return }
        messagesSent.add(messages, ordering: .relaxed)
        bytesSent.add(bytes, ordering: .relaxed)
    }

    func fannedOut(micros: Int, lagMicros: Int) {
        fanouts.add(1, ordering: .relaxed)
        lastFanoutMicros.store(micros, ordering: .relaxed)
        lastFanoutLagMicros.store(lagMicros, ordering: .relaxed)
        var current = maxFanoutMicros.load(ordering: .relaxed)
        while micros > current {
            let (done, seen) = maxFanoutMicros.compareExchange(expected: current, desired: micros, ordering: .relaxed)
            if done { break }
            current = seen
        }
    }

    func closed(code: UInt16?) {
        closes.withLock { $0[code ?? 0, default: 0] += 1 }
    }

    public var closesByCode: [UInt16: Int] { closes.withLock { $0 } }
    public var open: Int { openConnections.load(ordering: .relaxed) }
    public var conflated: Int { conflatedSnapshots.load(ordering: .relaxed) }
    public var overflows: Int { eventQueueOverflows.load(ordering: .relaxed) }
    public var sentMessages: Int { messagesSent.load(ordering: .relaxed) }
    public var sentBytes: Int { bytesSent.load(ordering: .relaxed) }
}
