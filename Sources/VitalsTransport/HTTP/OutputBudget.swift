import Synchronization

/// Bytes owed to clients across every connection of every loop: answers queued in output
/// buffers and worker answers waiting to be queued. Each connection has its own bound too,
/// but 4 MiB × thousands of clients that pipeline and never read would still be gigabytes;
/// past this total, a connection that still owes bytes gets no new answer until it reads.
public final class OutputBudget: Sendable {
    public let limitBytes: Int
    private let used = Atomic<Int>(0)
    /// The most owed at once since memory was last handed back (`takeMemoryToReturn`).
    private let peak = Atomic<Int>(0)

    public init(limitBytes: Int) { self.limitBytes = limitBytes }

    public var usedBytes: Int { used.load(ordering: .relaxed) }
    var isExhausted: Bool { used.load(ordering: .relaxed) >= limitBytes }

    func add(_ delta: Int) {
        guard delta != 0 else { return }
        let now = used.add(delta, ordering: .relaxed).newValue
        guard delta > 0 else { return }
        var seen = peak.load(ordering: .relaxed)
        while now > seen {
            let (done, current) = peak.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if done { break }
            seen = current
        }
    }

    /// True once after a burst of owed output (at least `burstBytes`) has drained to an
    /// eighth of it: the moment to give the freed heap back to the system. Without that,
    /// malloc keeps the pages of answers that clients read long ago (300 clients that
    /// stopped reading left 190 MiB resident after they were gone).
    func takeMemoryToReturn(burstBytes: Int = 8 << 20) -> Bool {
        let p = peak.load(ordering: .relaxed)
        guard p >= burstBytes, used.load(ordering: .relaxed) <= p / 8 else { return false }
        return peak.compareExchange(expected: p, desired: 0, ordering: .relaxed).exchanged
    }
}
