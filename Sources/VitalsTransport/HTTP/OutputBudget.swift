import Synchronization

/// Bytes owed to clients across every connection of every loop: answers queued in output
/// buffers and worker answers waiting to be queued. Each connection has its own bound too,
/// but 4 MiB × thousands of clients that pipeline and never read would still be gigabytes;
/// past this total, a connection that still owes bytes gets no new answer until it reads.
public final class OutputBudget: Sendable {
    public let limitBytes: Int
    private let used = Atomic<Int>(0)

    public init(limitBytes: Int) { self.limitBytes = limitBytes }

    public var usedBytes: Int { used.load(ordering: .relaxed) }
    var isExhausted: Bool { used.load(ordering: .relaxed) >= limitBytes }

    func add(_ delta: Int) {
        if delta != 0 { used.add(delta, ordering: .relaxed) }
    }
}
