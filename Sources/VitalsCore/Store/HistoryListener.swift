import VitalsSupport
/// Feeds each snapshot's history series to the store (which batches and writes them on its
/// own thread) and logs when history writes start or stop failing: one line per change,
/// not one per tick.
public final class HistoryListener: SnapshotListener, @unchecked Sendable {
    // @unchecked: `loggedWritable` is touched only on the sampler thread (listeners run there).
    private let store: HistoryStore
    private var loggedWritable = true

    public init(store: HistoryStore) { self.store = store }

    public func snapshotTaken(_ snapshot: Snapshot, json: [UInt8]) {
        store.append(ts: snapshot.ts, values: MetricTable.historyValues(of: snapshot))
        let health = store.health
        guard health.writable != loggedWritable else { return }
        loggedWritable = health.writable
        if health.writable {
            Log.info("history writes recovered", ["path": health.path])
        } else {
            Log.error("history writes failing; samples held in memory", ["path": health.path, "error": health.lastError ?? "unknown"])
        }
    }
}
