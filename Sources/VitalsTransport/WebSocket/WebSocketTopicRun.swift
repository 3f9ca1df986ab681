/// Consecutive messages of one topic that reached a loop together, their frames back to
/// back in one buffer so that each subscriber gets all of them with one send(2).
///
/// A burst of events (5,000 job progress updates a second) is then one write per
/// subscriber per loop wake-up instead of one per event: the kernel's per-send cost,
/// about 8-15 µs on loopback, dominates a fan-out, and the bytes are the same.
struct WebSocketTopicRun {
    let topic: WebSocketTopic
    let messages: [WebSocketTopicMessage]
    /// Every message's frame, in seq order; the one message's own frame when there is one.
    let bytes: [UInt8]
    /// `starts[k]`: where message k's frame begins in `bytes`.
    private let starts: [Int]

    init(_ messages: [WebSocketTopicMessage]) {
        precondition(!messages.isEmpty)
        topic = messages[0].topic
        self.messages = messages
        if messages.count == 1 {
            bytes = messages[0].frame
            starts = [0]
        } else {
            var b: [UInt8] = []
            b.reserveCapacity(messages.reduce(0) { $0 + $1.frame.count })
            var s: [Int] = []
            s.reserveCapacity(messages.count)
            for m in messages {
                s.append(b.count)
                b.append(contentsOf: m.frame)
            }
            bytes = b
            starts = s
        }
    }

    var firstSeq: UInt64 { messages[0].seq }
    var lastSeq: UInt64 { messages[messages.count - 1].seq }

    /// The first message newer than `seq` (a subscriber may have been sent the oldest ones
    /// already, as the topic's current state when it subscribed): its index and the
    /// offset of its frame. Nil when the subscriber has them all.
    func unsent(after seq: UInt64) -> (index: Int, offset: Int)? {
        guard lastSeq > seq else { return nil }
        guard firstSeq <= seq else { return (0, 0) }
        let k = messages.firstIndex { $0.seq > seq }!
        return (k, starts[k])
    }
}
