import VitalsSupport
import VitalsTransport
import VitalsCore
import Dispatch
import Synchronization

/// Every admin action (any route declared `.admin`, wrapped once in `VitalsApp`) and every
/// refusal on an admin route goes here: who (a token fingerprint, see `AuthPolicy.who`),
/// from where, which route, the status, and before/after where the route's state is known.
/// `record` only queues: it is called on I/O threads (refusals) and workers; the insert
/// runs on its own queue, and retention is applied hourly.
public final class AuditLog: Sendable {
    private let store: HistoryStore?
    private let time: any TimeSource
    private let retentionMs: Int64
    private let queue = DispatchQueue(label: "vitals.audit")
    private let lastPruneMs = Atomic<Int64>(0)

    public init(store: HistoryStore?, time: any TimeSource, retentionMs: Int64) {
        self.store = store; self.time = time; self.retentionMs = retentionMs
    }

    public func record(who: String, remote: String, method: String, route: String, status: Int, before: [UInt8]?, after: [UInt8]?) {
        guard let store else { return }
        let entry = AuditEntry(ts: time.wallMs(), who: who, remote: remote, method: method, route: route, status: status,
                               before: before, after: after)
        let now = entry.ts, retention = retentionMs
        queue.async { [self] in
            do { try store.insertAudit([entry]) } catch {
                Log.warn("audit: an entry could not be stored", ["route": route, "error": "\(error)"])
            }
            if now - lastPruneMs.load(ordering: .relaxed) >= 3_600_000 {
                lastPruneMs.store(now, ordering: .relaxed)
                try? store.pruneAudit(beforeMs: now - retention)
            }
        }
    }

    /// Waits for queued entries (tests, shutdown).
    public func drain() { queue.sync {} }

    public func query(_ q: AuditQuery) throws -> (entries: [AuditEntry], total: Int) {
        guard let store else { throw StoreError.closed }
        return try store.audit(q)
    }
}

extension RouteTable {
    /// Wraps every admin route so that each call is audited: `state` gives the route's
    /// state document before and after (nil when the route has none; the answer's body is
    /// then the "after" of a success).
    mutating func auditing(_ log: AuditLog, auth: AuthPolicy, state: @escaping @Sendable (RouteSpec) -> (@Sendable () -> [UInt8]?)?) {
        entries = entries.map { entry in
            // Reading the audit log is not an action on the daemon.
            guard entry.spec.access == .admin, entry.spec.method != "GET" else { return entry }
            let spec = entry.spec
            let probe = state(spec)
            @Sendable func wrap(_ h: @escaping @Sendable (ValidatedInput) -> HTTPResponse) -> @Sendable (ValidatedInput) -> HTTPResponse {
                { input in
                    let before = probe?()
                    let resp = h(input)
                    let ok = (200..<300).contains(resp.status)
                    let after = ok ? (probe?() ?? (resp.body.isEmpty ? nil : resp.body)) : nil
                    log.record(who: auth.who(input.request), remote: input.request.remoteAddress, method: spec.method,
                               route: input.request.path, status: resp.status, before: before, after: after)
                    return resp
                }
            }
            switch entry.handler {
            case .inline(let h): return (spec, .inline(wrap(h)))
            case .worker(let h): return (spec, .worker(wrap(h)))
            case .built(let make): return (spec, .built { specs in wrap(make(specs)) })
            case .upgrade, .document: return entry
            }
        }
    }
}
