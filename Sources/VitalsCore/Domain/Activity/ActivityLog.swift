import VitalsSupport
import Synchronization

/// One entry of the machine's story: a job admitted, a setting changed, a GPU lost, or an
/// event the application adds itself ("model deployed").
public struct ActivityEntry: Sendable, Equatable {
    public var id: Int64
    public var ts: Int64
    public var kind: String
    public var message: String
    public var labels: [String: String]

    /// The API's form, also what the `activity` topic carries.
    public func write(_ w: inout JSONWriter) {
        w.beginObject()
        w.field("id", id)
        w.field("ts", ts)
        w.field("timestamp", TimeFormat.iso8601(ms: ts))
        w.field("kind", kind)
        w.field("message", message)
        w.key("labels"); ActivityEntry.writeLabels(labels, &w)
        w.endObject()
    }

    public var json: [UInt8] { var w = JSONWriter(capacity: 256); write(&w); return w.bytes }

    static func writeLabels(_ labels: [String: String], _ w: inout JSONWriter) {
        w.beginObject()
        for k in labels.keys.sorted() { w.field(k, labels[k]) }
        w.endObject()
    }
}

/// The activity feed: `record` stores an entry (on the store's writer queue, never waiting
/// for the disk) and publishes it on the `activity` topic at once. Ids are given here, so
/// the published entry and the stored one are the same. Anything in the daemon that has
/// a story to tell (jobs, the advisor, the sampler's GPU transitions, alerts) calls `record`.
public final class ActivityLog: Sendable {
    private let store: HistoryStore?
    private let time: any TimeSource
    private let publish: @Sendable ([UInt8]) -> Void
    private let retentionMs: Int64
    private let nextID: Mutex<Int64>
    /// Without a database, the newest entries stay readable from memory.
    private let recent = Mutex<[ActivityEntry]>([])
    static let recentLimit = 1000

    public init(store: HistoryStore?, time: any TimeSource, retentionMs: Int64 = 30 * 86_400_000,
                publish: @escaping @Sendable ([UInt8]) -> Void = { _ in }) {
        self.store = store
        self.time = time
        self.publish = publish
        self.retentionMs = retentionMs
        let last = (try? store?.maxActivityID()) ?? nil
        nextID = Mutex((last ?? 0) + 1)
    }

    /// Stores and publishes one entry; returns it (with its id and time).
    @discardableResult
    public func record(kind: String, message: String, labels: [String: String] = [:]) -> ActivityEntry {
        // One lock around id, store queueing and publishing: entries reach the database
        // and the topic in id order.
        nextID.withLock { id in
            let entry = ActivityEntry(id: id, ts: time.wallMs(), kind: kind, message: message, labels: labels)
            id += 1
            store?.insertActivity(entry)
            recent.withLock { r in
                r.append(entry)
                if r.count > Self.recentLimit { r.removeFirst(r.count - Self.recentLimit) }
            }
            publish(entry.json)
            return entry
        }
    }

    /// Newest first; `before` an id (exclusive) pages back, `kind` filters.
    public func list(limit: Int, before: Int64?, kind: String?) throws -> [ActivityEntry] {
        if let store {
            store.waitForWrites()
            return try store.activity(limit: limit, before: before, kind: kind)
        }
        return recent.withLock { r in
            Array(r.reversed().lazy.filter { e in (before.map { e.id < $0 } ?? true) && (kind.map { e.kind == $0 } ?? true) }.prefix(limit))
        }
    }

    /// Deletes entries past the retention (called about once a minute).
    public func prune() {
        store?.pruneActivity(olderThan: time.wallMs() - retentionMs)
    }
}
