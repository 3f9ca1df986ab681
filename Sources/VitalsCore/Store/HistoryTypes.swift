import VitalsSupport
/// One resolution of the history: raw samples, or buckets rolled up from the finer tier.
/// The first tier of a store holds the samples themselves; `stepMs` is then the nominal
/// sampling interval.
public struct HistoryTier: Sendable, Equatable {
    public var name: String
    public var stepMs: Int64
    public var retentionMs: Int64

    public init(name: String, stepMs: Int64, retentionMs: Int64) {
        self.name = name
        self.stepMs = stepMs
        self.retentionMs = retentionMs
    }

    private static let hour: Int64 = 3_600_000
    private static let day: Int64 = 24 * hour

    /// raw 500 ms kept 6 h, 10 s kept 7 days, 5 min kept 90 days.
    public static let defaults: [HistoryTier] = [
        HistoryTier(name: "raw", stepMs: 500, retentionMs: 6 * hour),
        HistoryTier(name: "10s", stepMs: 10_000, retentionMs: 7 * day),
        HistoryTier(name: "5m", stepMs: 300_000, retentionMs: 90 * day),
    ]
}

public struct HistoryQuery: Sendable, Equatable {
    /// Range in ms since the epoch, `from` inclusive, `to` exclusive.
    public var from: Int64
    public var to: Int64
    public var metrics: [String]
    /// Most buckets per series; clamped to 1...1000.
    public var points: Int

    public init(from: Int64, to: Int64, metrics: [String], points: Int) {
        self.from = from
        self.to = to
        self.metrics = metrics
        self.points = points
    }
}

/// One bucket of a series. All three values are nil where there was no data (a gap).
public struct HistoryBucket: Sendable, Equatable {
    /// Bucket start, ms since the epoch (a multiple of the bucket width).
    public var t: Int64
    public var avg: Double?
    public var min: Double?
    public var max: Double?

    public init(t: Int64, avg: Double?, min: Double?, max: Double?) {
        self.t = t
        self.avg = avg
        self.min = min
        self.max = max
    }
}

public struct HistoryResult: Sendable, Equatable {
    /// Name of the tier the answer was read from.
    public var tier: String
    public var bucketMs: Int64
    /// Start of the first bucket (the first multiple of `bucketMs` at or after the asked
    /// `from`) and the asked `to`.
    public var from: Int64
    public var to: Int64
    /// Buckets oldest first. A metric never recorded maps to an empty array.
    public var series: [String: [HistoryBucket]]
}

public struct StoreHealth: Sendable, Equatable {
    /// False after a failed write until a later flush succeeds.
    public var writable: Bool
    /// The last storage error seen; kept after recovery so a log or health page can say what happened.
    public var lastError: String?
    /// Clock time (ms) of the last successful flush.
    public var lastFlushTs: Int64?
    /// Samples accepted but not yet on disk.
    public var pendingSamples: Int
    public var path: String
    /// The last query or save that failed on storage (a damaged file answers reads with
    /// errors while batches may still go in).
    public var lastFailure: StoreFailure? = nil
    /// SQLite's heap over every connection of the process (page caches, schema,
    /// statements), which its soft heap limit keeps near `SQLiteConnection.memoryBound`.
    public var memoryBytes: Int = 0
}

/// One failed query or save, and when (clock ms).
public struct StoreFailure: Sendable, Equatable {
    public var message: String
    public var ts: Int64
}

/// What `HistoryStore.close` could not write: samples held in memory after the last failed
/// flush, plus those dropped earlier because the pending bound was reached.
public struct HistoryCloseReport: Sendable, Equatable {
    public var lostSamples: Int
    public var lastError: String?
}

/// A marked sample saved with `saveSnapshot`, without its JSON.
public struct SavedSnapshot: Sendable, Equatable {
    public var id: Int64
    public var ts: Int64
    public var label: String?
}

/// Knobs with sensible defaults; tests turn the timers off and drive `flush()` themselves.
public struct HistoryStoreOptions: Sendable {
    /// Background flush period; nil: only explicit `flush()` writes.
    public var flushIntervalMs: Int64? = 1_000
    /// Background retention pruning period; nil: only explicit `prune()`.
    public var pruneIntervalMs: Int64? = 60_000
    /// Bound on samples kept in memory while the disk refuses writes (10 min at 2/s);
    /// the oldest are dropped first.
    public var maxPendingSamples: Int = 1_200
    /// Rows per DELETE when pruning, so no prune holds the write lock for long.
    public var pruneChunkRows: Int = 2_000
    public var busyTimeoutMs: Int32 = 2_000

    public init() {}
}
