import VitalsSupport
import Dispatch
import Synchronization

/// Metric history in one SQLite file: raw samples plus coarser rollup tiers, each pruned by
/// its own retention.
///
/// Threads: `append` only copies into a pending batch under a lock, so the sampler and the
/// HTTP threads never wait for the disk. One serial queue owns the writer connection and
/// writes the batch about once a second in one transaction, then rolls up and, once a
/// minute, prunes. Queries run on the caller's (worker) thread over read-only connections
/// of this process (the file is locked against other processes, see SQLiteConnection).
///
/// Storage trouble never reaches the caller of `append`: a failed batch stays pending
/// (bounded, oldest dropped first), `health.writable` goes false with SQLite's message, and
/// the next flush retries; a deleted file or missing directory is recreated when possible.
/// Failed queries and saves are remembered too, so health can say the file is damaged even
/// while batches still go in.
public final class HistoryStore: Sendable {
    public let path: String
    public let tiers: [HistoryTier]
    private let options: HistoryStoreOptions
    private let time: any TimeSource

    private let queue = DispatchQueue(label: "vitals.history.writer")
    /// Only touched on `queue`; the lock is never contended and exists so the compiler can
    /// check that claim instead of an @unchecked Sendable.
    private let writer: Mutex<HistoryWriter>
    private let readers: HistoryReaderPool
    private let pending = Mutex(PendingBatch())
    private let status: Mutex<WriterStatus>
    private let timers = Mutex<[TimerBox]>([])
    private let failures = Mutex(StoreFailure?.none)
    private let closed = Atomic<Bool>(false)

    private struct PendingBatch {
        var samples: [PendingSample] = []
        var dropped = 0

        /// Keeps at most `limit` samples, dropping (and counting) the oldest.
        mutating func trim(to limit: Int) {
            guard samples.count > limit else { return }
            let excess = samples.count - limit
            samples.removeFirst(excess)
            dropped += excess
        }
    }

    private struct WriterStatus {
        var writable = true
        var lastError: String?
        var lastFlushTs: Int64?
    }

    /// DispatchSourceTimer is a class-bound protocol without a Sendable promise; it is only
    /// resumed and cancelled, both of which are thread-safe in libdispatch.
    private struct TimerBox: @unchecked Sendable { let timer: DispatchSourceTimer }

    /// Throws for an unusable configuration, and `.inUse` when another process holds the
    /// file. A file that cannot be opened yet (missing directory, full disk) leaves the
    /// store running with `health.writable == false`.
    public init(path: String, tiers: [HistoryTier] = HistoryTier.defaults,
                options: HistoryStoreOptions = HistoryStoreOptions(),
                time: any TimeSource) throws {
        try HistoryTierPlan.validate(tiers)
        guard !path.isEmpty else { throw StoreError.invalidConfiguration("database path is empty") }
        guard options.maxPendingSamples > 0 else { throw StoreError.invalidConfiguration("maxPendingSamples must be > 0") }
        self.path = path
        self.tiers = tiers
        self.options = options
        self.time = time
        let w = HistoryWriter(path: path, tiers: tiers, options: options, time: time)
        var initial = WriterStatus()
        do {
            try w.ensureOpen()
            try w.rollup()
        } catch .inUse(let p) {
            throw StoreError.inUse(p)
        } catch {
            initial.writable = false
            initial.lastError = error.description
        }
        writer = Mutex(w)
        status = Mutex(initial)
        readers = HistoryReaderPool(path: path, busyTimeoutMs: options.busyTimeoutMs)
        startTimers()
    }

    deinit {
        for box in timers.withLock({ $0 }) { box.timer.cancel() }
    }

    // MARK: writing

    /// Queues one sample; returns at once. Non-finite values are dropped.
    public func append(ts: Int64, values: [(String, Double)]) {
        guard !closed.load(ordering: .relaxed), ts >= 0 else { return }
        // The sampler's values are finite already: no second array per tick for them.
        let finite = values.allSatisfy { $0.1.isFinite } ? values : values.filter { $0.1.isFinite }
        guard !finite.isEmpty else { return }
        let sample = PendingSample(ts: ts, values: finite)
        let limit = options.maxPendingSamples
        pending.withLock { p in
            p.samples.append(sample)
            p.trim(to: limit)
        }
    }

    /// Writes whatever is pending now and rolls up, waiting for it (shutdown, tests).
    public func flush() {
        guard !closed.load(ordering: .relaxed) else { return }
        queue.sync { flushOnQueue() }
    }

    private func flushOnQueue() {
        let batch = pending.withLock { p -> [PendingSample] in
            defer { p.samples.removeAll(keepingCapacity: true) }
            return p.samples
        }
        let written = onWriter { w throws(StoreError) in try w.write(batch) }
        // A failed rollup is retried after the next flush; the samples themselves are safe.
        let rolled = written.flatMap { _ in onWriter { w throws(StoreError) in try w.rollup() } }
        readers.invalidate(generation: writer.withLock { $0.openCount })
        if case .failure = written { requeue(batch) }
        if case .failure(let error) = rolled {
            status.withLock { s in
                s.writable = false
                s.lastError = error.description
            }
        } else {
            let at = time.wallMs()
            status.withLock { s in
                s.writable = true
                s.lastFlushTs = at
            }
        }
    }

    /// Puts a failed batch back in front of what arrived meanwhile, within the bound.
    private func requeue(_ batch: [PendingSample]) {
        guard !batch.isEmpty else { return }
        let limit = options.maxPendingSamples
        pending.withLock { p in
            p.samples.insert(contentsOf: batch, at: 0)
            p.trim(to: limit)
        }
    }

    /// Deletes data past each tier's retention now, in chunks, on the writer queue.
    public func prune() {
        guard !closed.load(ordering: .relaxed) else { return }
        queue.sync {
            while pruneOnQueue() {}
        }
    }

    /// One bounded pass; true when more is left (the timer path then yields the queue to
    /// flushes before continuing).
    private func pruneOnQueue() -> Bool {
        let result = onWriter { w throws(StoreError) in try w.prune() }
        switch result {
        case .success(let more): return more
        case .failure(let error):
            status.withLock { s in s.lastError = error.description }
            return false
        }
    }

    private func pruneChain() {
        guard !closed.load(ordering: .relaxed) else { return }
        if pruneOnQueue() {
            queue.async { [weak self] in self?.pruneChain() }
        }
    }

    /// Stores a marked sample with its full snapshot JSON; returns its id.
    public func saveSnapshot(ts: Int64, json: [UInt8], label: String?) throws -> Int64 {
        guard !closed.load(ordering: .relaxed) else { throw StoreError.closed }
        let result = queue.sync {
            onWriter { w throws(StoreError) in try w.saveSnapshot(ts: ts, json: json, label: label) }
        }
        return try noteFailure(result).get()
    }

    /// Remembers a storage failure of a query or save for health; a bad query is the
    /// caller's fault and a closed store is shutdown, neither says anything about the file.
    private func noteFailure<T>(_ result: Result<T, StoreError>) -> Result<T, StoreError> {
        if case .failure(let error) = result {
            switch error {
            case .invalidQuery, .invalidConfiguration, .closed: break
            default:
                let at = time.wallMs()
                failures.withLock { $0 = StoreFailure(message: error.description, ts: at) }
            }
        }
        return result
    }

    /// Runs a read on a pooled connection (the caller's thread: a worker), remembering a
    /// storage failure for health.
    func read<T>(_ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        guard !closed.load(ordering: .relaxed) else { throw StoreError.closed }
        let result: Result<T, StoreError>
        do throws(StoreError) { result = .success(try readers.withConnection(body)) } catch { result = .failure(error) }
        return try noteFailure(result).get()
    }

    /// Stores one settings document under its key, replacing the previous one; waits for the disk.
    public func saveSetting(key: String, json: [UInt8]) throws {
        guard !closed.load(ordering: .relaxed) else { throw StoreError.closed }
        let ts = time.wallMs()
        let result = queue.sync {
            onWriter { w throws(StoreError) in try w.saveSetting(key: key, json: json, ts: ts) }
        }
        try result.get()
    }

    /// Queues `body` on the writer connection after everything queued before it, so the
    /// caller (a job or activity change, under its own lock) never waits for the disk and
    /// its writes land in the order it made them. A failure is logged, not retried.
    func enqueueWrite(_ what: String, _ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> Void) {
        guard !closed.load(ordering: .relaxed) else { return }
        queue.async { [self] in
            let result = onWriter { w throws(StoreError) in
                do throws(StoreError) { try body(try w.ensureOpen()) } catch { w.dropConnectionIfBroken(error); throw error }
            }
            if case .failure(let e) = result { Log.warn("could not store \(what)", ["error": e.description]) }
        }
    }

    public var isOpen: Bool { !closed.load(ordering: .relaxed) }

    /// Returns once every write queued before the call is done: a read after it sees them.
    public func waitForWrites() {
        guard !closed.load(ordering: .relaxed) else { return }
        queue.sync {}
    }

    // MARK: reading

    /// The settings document stored under `key`, or nil when none was.
    public func setting(key: String) throws -> [UInt8]? {
        guard !closed.load(ordering: .relaxed) else { throw StoreError.closed }
        return try readers.withConnection { db throws(StoreError) in try HistoryReader.setting(key: key, db) }
    }

    public func query(_ q: HistoryQuery) throws -> HistoryResult {
        let clock = time.wallMs()
        let tiers = self.tiers
        return try read { db throws(StoreError) in
            try HistoryReader.query(q, tiers: tiers, now: clock, on: db)
        }
    }

    /// Saved snapshots, newest first.
    public func savedSnapshots(limit: Int = 100) throws -> [SavedSnapshot] {
        try read { db throws(StoreError) in try HistoryReader.savedSnapshots(limit: limit, db) }
    }

    /// The JSON saved with a snapshot, or nil for an unknown id.
    public func savedSnapshotJSON(id: Int64) throws -> [UInt8]? {
        try read { db throws(StoreError) in try HistoryReader.savedSnapshotJSON(id: id, db) }
    }

    // MARK: health and lifecycle

    public var health: StoreHealth {
        let s = status.withLock { $0 }
        let count = pending.withLock { $0.samples.count }
        return StoreHealth(writable: s.writable, lastError: s.lastError, lastFlushTs: s.lastFlushTs,
                           pendingSamples: count, path: path, lastFailure: failures.withLock { $0 },
                           memoryBytes: SQLiteConnection.memoryUsed)
    }

    /// Samples dropped because the pending bound was exceeded while writes failed.
    public var droppedSamples: Int { pending.withLock { $0.dropped } }

    /// Flushes, stops the timers and closes every connection. Further appends are ignored.
    /// Returns what did not reach the file (nil when the store was already closed), so the
    /// shutdown log can say so instead of claiming everything was flushed.
    @discardableResult
    public func close() -> HistoryCloseReport? {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        for box in timers.withLock({ t in defer { t.removeAll() }; return t }) { box.timer.cancel() }
        // Readers first, so the writer is the last connection and its close checkpoints
        // the WAL back into the main file.
        readers.close()
        queue.sync {
            flushOnQueue()
            // A timer tick queued before the cancel must not reopen the file.
            writer.withLock { $0.shutDown() }
        }
        // Whatever is still pending failed its last write and dies with the process.
        let (left, dropped) = pending.withLock { ($0.samples.count, $0.dropped) }
        return HistoryCloseReport(lostSamples: left + dropped, lastError: left + dropped > 0 ? status.withLock { $0.lastError } : nil)
    }

    /// Runs `body` with the writer; call only on `queue`.
    private func onWriter<T: Sendable>(_ body: (HistoryWriter) throws(StoreError) -> T) -> Result<T, StoreError> {
        writer.withLock { w in
            do throws(StoreError) { return .success(try body(w)) } catch { return .failure(error) }
        }
    }

    private func startTimers() {
        var boxes: [TimerBox] = []
        if let ms = options.flushIntervalMs, ms > 0 {
            boxes.append(makeTimer(everyMs: ms) { [weak self] in self?.flushOnQueue() })
        }
        if let ms = options.pruneIntervalMs, ms > 0 {
            boxes.append(makeTimer(everyMs: ms) { [weak self] in self?.pruneChain() })
        }
        timers.withLock { $0 = boxes }
    }

    private func makeTimer(everyMs ms: Int64, _ handler: @escaping @Sendable () -> Void) -> TimerBox {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + .milliseconds(Int(ms)), repeating: .milliseconds(Int(ms)), leeway: .milliseconds(50))
        t.setEventHandler(handler: handler)
        t.resume()
        return TimerBox(timer: t)
    }

    /// Runs `body` on the writer connection, on the writer queue, and waits for it: the
    /// alert, outbox and audit tables share the history file and its one writer.
    func write<T: Sendable>(_ body: (SQLiteConnection) throws(StoreError) -> T) throws(StoreError) -> T {
        guard !closed.load(ordering: .relaxed) else { throw .closed }
        let result = queue.sync {
            onWriter { w throws(StoreError) in try body(try w.ensureOpen()) }
        }
        return try result.get()
    }

    // MARK: test hooks

    /// Runs SQL on the writer connection, on the writer queue (tests simulate a full disk).
    func execOnWriterForTesting(_ sql: String) throws {
        let result = queue.sync {
            onWriter { w throws(StoreError) in try w.execForTesting(sql) }
        }
        try result.get()
    }
}
