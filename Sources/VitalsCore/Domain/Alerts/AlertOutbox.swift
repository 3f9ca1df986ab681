import VitalsSupport
import Dispatch
import Synchronization

/// Delivers the notification outbox: at least once (a row is done only after a 2xx or a
/// 4xx), in order per alert and receiver (a later row waits while an earlier one is
/// retried), retried on network errors and 5xx with Alertmanager's backoff, not on 4xx.
/// Rows live in SQLite, so pending deliveries survive a restart. Runs on its own queue:
/// a slow receiver holds up only this queue, never the tick or an HTTP thread.
public final class AlertOutbox: Sendable {
    public typealias Send = @Sendable (_ url: String, _ body: [UInt8]) -> HTTPPost.Outcome

    private let store: HistoryStore
    private let time: any TimeSource
    private let send: Send
    /// A delivery still failing after this long is given up (`expired`).
    private let maxAgeMs: Int64
    private let queue = DispatchQueue(label: "vitals.alerts.outbox")
    private let scheduled = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let timer = Mutex<TimerBox?>(nil)
    private struct TimerBox: @unchecked Sendable { let t: DispatchSourceTimer }

    public init(store: HistoryStore, time: any TimeSource, maxAgeMs: Int64 = 86_400_000,
                send: @escaping Send = { url, body in HTTPPost.post(url, body: body, userAgent: "vitals/alerts") }) {
        self.store = store; self.time = time; self.maxAgeMs = maxAgeMs; self.send = send
    }

    /// Polls every `everyMs` for rows that became due (retries); `kick` wakes it at once.
    public func start(everyMs: Int = 500) {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + .milliseconds(everyMs), repeating: .milliseconds(everyMs), leeway: .milliseconds(50))
        t.setEventHandler { [weak self] in self?.deliverDue() }
        t.resume()
        timer.withLock { $0 = TimerBox(t: t) }
    }

    public func stop() {
        stopped.store(true, ordering: .relaxed)
        timer.withLock { $0?.t.cancel(); $0 = nil }
        queue.sync {}
    }

    public func kick() {
        guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [weak self] in
            self?.scheduled.store(false, ordering: .releasing)
            self?.deliverDue()
        }
    }

    /// One pass over the pending rows, oldest first; waits for it (tests, shutdown).
    public func deliverNow() { queue.sync { deliverDue() } }

    private func deliverDue() {
        guard !stopped.load(ordering: .relaxed) else { return }
        let rows: [NotificationRow]
        do { rows = try store.pendingNotifications(limit: 500) } catch { return }
        var blocked = Set<String>()       // alert and target with an earlier row not delivered
        var downTargets = Set<String>()   // a network error this pass: do not wait on it again
        for row in rows {
            guard !stopped.load(ordering: .relaxed) else { return }
            let key = "\(row.alertID)|\(row.target)"
            if blocked.contains(key) { continue }
            let now = time.wallMs()
            if now - row.createdMs > maxAgeMs {
                try? store.updateNotification(id: row.id, state: "expired", attempts: row.attempts, nextMs: row.nextMs,
                                              lastStatus: row.lastStatus, lastError: row.lastError, doneMs: now)
                continue
            }
            if row.nextMs > now || downTargets.contains(row.target) { blocked.insert(key); continue }
            let outcome = send(row.target, row.payload)
            let attempts = row.attempts + 1
            let done = time.wallMs()
            switch outcome {
            case .status(let code) where (200..<300).contains(code):
                try? store.updateNotification(id: row.id, state: "delivered", attempts: attempts, nextMs: row.nextMs,
                                              lastStatus: code, lastError: nil, doneMs: done)
            case .status(let code) where (400..<500).contains(code):
                Log.warn("alert notification refused; not retried", ["target": row.target, "status": code, "alert": row.alertID])
                try? store.updateNotification(id: row.id, state: "failed", attempts: attempts, nextMs: row.nextMs,
                                              lastStatus: code, lastError: "HTTP \(code)", doneMs: done)
            case .status(let code):
                blocked.insert(key)
                try? store.updateNotification(id: row.id, state: "pending", attempts: attempts,
                                              nextMs: done + NotifyBackoff.delayMs(attempt: attempts),
                                              lastStatus: code, lastError: "HTTP \(code)", doneMs: nil)
            case .networkError(let why):
                blocked.insert(key)
                downTargets.insert(row.target)
                try? store.updateNotification(id: row.id, state: "pending", attempts: attempts,
                                              nextMs: done + NotifyBackoff.delayMs(attempt: attempts),
                                              lastStatus: nil, lastError: why, doneMs: nil)
            }
        }
    }
}
