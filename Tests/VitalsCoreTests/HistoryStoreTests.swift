import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class HistoryStoreTests: XCTestCase {
    /// A multiple of 60 s, so test buckets line up with round numbers.
    private let t0: Int64 = 1_700_000_040_000

    private func open(_ dir: URL, tiers: [HistoryTier] = HistoryTier.defaults, clock: FakeClock,
                      maxPending: Int = 1_200) throws -> HistoryStore {
        try HistoryStore(path: dir.appendingPathComponent("history.db").path, tiers: tiers,
                         options: manualOptions(maxPending: maxPending), time: clock)
    }

    func testBucketsHoldAvgMinMaxOfTheirSamples() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0 + 60_000)
        let store = try open(dir, clock: clock)
        defer { store.close() }
        // 120 samples over one minute: cpu = i, mem = 100 - i.
        for i in 0..<120 {
            store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", Double(i)), ("memory.percent", 100 - Double(i))])
        }
        store.flush()
        // 6 points: 10 s buckets, answered by the 10s tier (closed buckets) plus raw (the
        // newest, open one); 12 points: 5 s buckets, straight from raw.
        for (points, tier) in [(6, "10s"), (12, "raw")] {
            let r = try store.query(HistoryQuery(from: t0, to: t0 + 60_000, metrics: ["cpu.percent"], points: points))
            XCTAssertEqual(r.tier, tier)
            let width = Int64(60_000 / points)
            XCTAssertEqual(r.bucketMs, width)
            XCTAssertEqual(r.from, t0)
            let cpu = try XCTUnwrap(r.series["cpu.percent"])
            XCTAssertEqual(cpu.count, points)
            let perBucket = Int(width / 500)
            for (k, b) in cpu.enumerated() {
                XCTAssertEqual(b.t, t0 + Int64(k) * width)
                XCTAssertEqual(b.min, Double(perBucket * k))
                XCTAssertEqual(b.max, Double(perBucket * k + perBucket - 1))
                XCTAssertEqual(try XCTUnwrap(b.avg), Double(perBucket * k) + Double(perBucket - 1) / 2, accuracy: 1e-9)
            }
        }
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 60_000, metrics: ["cpu.percent", "memory.percent"], points: 12))
        let mem = try XCTUnwrap(r.series["memory.percent"])
        XCTAssertEqual(mem.first?.max, 100)
        XCTAssertEqual(mem.last?.min, 100 - 119)
    }

    func testAtMostPointsEpochAlignedAndNothingBeforeFrom() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0 + 600_000)
        let store = try open(dir, clock: clock)
        defer { store.close() }
        for i in 0..<1200 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", 1)]) }
        store.flush()
        let from = t0 + 1_234
        let to = t0 + 600_000
        for points in [1, 7, 50, 333, 1000] {
            let r = try store.query(HistoryQuery(from: from, to: to, metrics: ["cpu.percent"], points: points))
            let s = try XCTUnwrap(r.series["cpu.percent"])
            XCTAssertLessThanOrEqual(s.count, points)
            XCTAssertGreaterThan(s.count, 0)
            XCTAssertGreaterThanOrEqual(r.bucketMs, (to - from + Int64(points) - 1) / Int64(points))
            for (k, b) in s.enumerated() {
                XCTAssertEqual(b.t % r.bucketMs, 0, "bucket start not a multiple of its width")
                XCTAssertGreaterThanOrEqual(b.t, from)
                XCTAssertLessThan(b.t, to)
                if k > 0 { XCTAssertEqual(b.t - s[k - 1].t, r.bucketMs) }
            }
        }
        // points is clamped to 1...1000.
        let many = try store.query(HistoryQuery(from: from, to: to, metrics: ["cpu.percent"], points: 50_000))
        XCTAssertLessThanOrEqual(many.series["cpu.percent"]?.count ?? 0, 1000)
        let zero = try store.query(HistoryQuery(from: t0, to: to, metrics: ["cpu.percent"], points: 0))
        XCTAssertEqual(zero.series["cpu.percent"]?.count, 1)
    }

    func testGapsStayNull() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0 + 60_000)
        let store = try open(dir, clock: clock)
        defer { store.close() }
        for i in 0..<40 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", 5)]) }            // 0-20 s
        for i in 80..<120 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", 7)]) }          // 40-60 s
        store.flush()
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 60_000, metrics: ["cpu.percent"], points: 6))
        let s = try XCTUnwrap(r.series["cpu.percent"])
        XCTAssertEqual(s.map(\.avg), [5, 5, nil, nil, 7, 7])
        XCTAssertEqual(s.map(\.min), [5, 5, nil, nil, 7, 7])
        XCTAssertEqual(s.map(\.max), [5, 5, nil, nil, 7, 7])
    }

    func testRollupsAreClosedOnlyAndWeightedByCount() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("history.db").path
        let clock = FakeClock(t0)
        let store = try open(dir, tiers: shortTiers, clock: clock)
        defer { store.close() }
        // First 10 s bucket: 20 samples of 10. Second: only 5 samples of 40 (the sampler
        // stalled). Then 40 s of 1 and one sample into the next minute to close it.
        for i in 0..<20 { store.append(ts: t0 + Int64(i) * 500, values: [("gpu0.utilization", 10)]) }
        for i in 0..<5 { store.append(ts: t0 + 10_000 + Int64(i) * 500, values: [("gpu0.utilization", 40)]) }
        for i in 40..<120 { store.append(ts: t0 + Int64(i) * 500, values: [("gpu0.utilization", 1)]) }
        store.append(ts: t0 + 61_000, values: [("gpu0.utilization", 99)])
        clock.set(t0 + 61_500)
        store.flush()

        let tens = try readTier(path, tier: "10s", metric: "gpu0.utilization")
        // 6 closed buckets; the one at 60 s is still open (newest sample 61 s < 70 s).
        XCTAssertEqual(tens.map(\.ts), (0..<6).map { t0 + Int64($0) * 10_000 })
        XCTAssertEqual(tens[0], TierRow(ts: t0, avg: 10, min: 10, max: 10, count: 20))
        XCTAssertEqual(tens[1], TierRow(ts: t0 + 10_000, avg: 40, min: 40, max: 40, count: 5))
        XCTAssertEqual(tens[2].count, 20)

        let minutes = try readTier(path, tier: "1m", metric: "gpu0.utilization")
        XCTAssertEqual(minutes.count, 1)
        let m = try XCTUnwrap(minutes.first)
        XCTAssertEqual(m.count, 105)
        XCTAssertEqual(m.min, 1)
        XCTAssertEqual(m.max, 40)
        // Weighted: (20*10 + 5*40 + 80*1) / 105, not the mean of the six bucket averages.
        XCTAssertEqual(m.avg, 480.0 / 105.0, accuracy: 1e-9)

        // Repeating the rollup (restart-style) changes nothing.
        store.flush()
        XCTAssertEqual(try readTier(path, tier: "10s", metric: "gpu0.utilization"), tens)
        XCTAssertEqual(try readTier(path, tier: "1m", metric: "gpu0.utilization"), minutes)
    }

    func testRollupTierQueryReachesNowFromFinerTier() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0)
        let store = try open(dir, tiers: shortTiers, clock: clock)
        defer { store.close() }
        // 3 minutes of samples valued by their minute; newest sample at 2:59.5.
        for i in 0..<360 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", Double(i / 120))]) }
        clock.set(t0 + 180_000)
        store.flush()
        // Raw retention is 1 min here, so a 3-minute range is answered by a rollup tier.
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 180_000, metrics: ["cpu.percent"], points: 3))
        XCTAssertEqual(r.tier, "1m")
        let s = try XCTUnwrap(r.series["cpu.percent"])
        XCTAssertEqual(s.map(\.t), [t0, t0 + 60_000, t0 + 120_000])
        // The last minute is not rolled up (still open), yet it is answered from 10s + raw.
        XCTAssertEqual(s.map(\.avg), [0, 1, 2])
        XCTAssertEqual(s.map(\.max), [0, 1, 2])
    }

    func testRetentionPrunesEachTierButKeepsWhatIsNotRolledUp() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("history.db").path
        let clock = FakeClock(t0)
        let store = try open(dir, tiers: shortTiers, clock: clock)
        defer { store.close() }
        // 3 minutes of data.
        for i in 0..<360 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", 1)]) }
        clock.set(t0 + 180_000)
        store.flush()
        store.prune()
        // raw keeps 60 s: everything before 120 s goes.
        let raw = try readTier(path, tier: "raw", metric: "cpu.percent")
        XCTAssertEqual(raw.first?.ts, t0 + 120_000)
        XCTAssertEqual(raw.count, 120)
        XCTAssertEqual(try readTier(path, tier: "10s", metric: "cpu.percent").count, 17)

        // 20 minutes later with no new data: raw past retention, but the open 10 s bucket
        // (170-180 s) has not been rolled up, so its raw rows must stay.
        clock.set(t0 + 1_200_000)
        store.prune()
        let rawLeft = try readTier(path, tier: "raw", metric: "cpu.percent")
        XCTAssertEqual(rawLeft.map(\.ts), (340..<360).map { t0 + Int64($0) * 500 })
        // 10s keeps 10 min: 1_200_000 - 600_000 = 600 s cutoff, beyond all 10 s rows, but
        // the open minute 120-180 s is not rolled into 1m yet, so those 10 s rows stay.
        let tensLeft = try readTier(path, tier: "10s", metric: "cpu.percent")
        XCTAssertEqual(tensLeft.map(\.ts), (12..<17).map { t0 + Int64($0) * 10_000 })
        XCTAssertEqual(try readTier(path, tier: "1m", metric: "cpu.percent").map(\.ts), [t0, t0 + 60_000])

        // 2 hours later: the 1m tier (1 h) drops its rows too.
        clock.set(t0 + 2 * 3_600_000 + 300_000)
        store.prune()
        XCTAssertEqual(try readTier(path, tier: "1m", metric: "cpu.percent"), [])
    }

    func testPruneInSmallChunksRemovesEverything() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("history.db").path
        let clock = FakeClock(t0)
        var o = manualOptions()
        o.pruneChunkRows = 7
        let store = try HistoryStore(path: path, tiers: shortTiers, options: o, time: clock)
        defer { store.close() }
        for i in 0..<200 { store.append(ts: t0 + Int64(i) * 500, values: [("a", 1), ("b", 2)]) }
        for i in 0..<20 { store.append(ts: t0 + 3_600_000 + Int64(i) * 500, values: [("a", 1), ("b", 2)]) }
        clock.set(t0 + 3_610_000)
        store.flush()
        store.prune()
        XCTAssertEqual(try readTier(path, tier: "raw", metric: "a").count, 20)
        XCTAssertEqual(try readTier(path, tier: "raw", metric: "b").count, 20)
    }

    func testRestartKeepsHistoryAndContinuesRollups() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("history.db").path
        let clock = FakeClock(t0)
        do {
            let store = try open(dir, tiers: shortTiers, clock: clock)
            for i in 0..<50 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", 3)]) }
            clock.set(t0 + 25_000)
            _ = try store.query(HistoryQuery(from: t0, to: t0 + 1_000, metrics: ["cpu.percent"], points: 1))
            store.close()   // close flushes
            // Closed cleanly: the WAL was checkpointed into the file and removed.
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"))
            // Appends after close are ignored, not crashes.
            store.append(ts: t0 + 99_000, values: [("cpu.percent", 3)])
            XCTAssertThrowsError(try store.query(HistoryQuery(from: t0, to: t0 + 1, metrics: [], points: 1)))
        }
        XCTAssertEqual(try readTier(path, tier: "10s", metric: "cpu.percent").map(\.ts), [t0, t0 + 10_000])

        let store = try open(dir, tiers: shortTiers, clock: clock)
        defer { store.close() }
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 25_000, metrics: ["cpu.percent"], points: 50))
        XCTAssertEqual(r.series["cpu.percent"]?.compactMap(\.avg).count, 50)
        // The daemon was down 20-40 s wall time; new samples from 40 s.
        for i in 80..<130 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", 9)]) }
        clock.set(t0 + 65_000)
        store.flush()
        let tens = try readTier(path, tier: "10s", metric: "cpu.percent")
        // 20 s bucket closed after restart from the rows written before it; 30 s stays a gap.
        XCTAssertEqual(tens.map(\.ts), [0, 10_000, 20_000, 40_000, 50_000].map { t0 + $0 })
        XCTAssertEqual(tens[2], TierRow(ts: t0 + 20_000, avg: 3, min: 3, max: 3, count: 10))
        XCTAssertEqual(tens[3].avg, 9)
        XCTAssertEqual(try readTier(path, tier: "1m", metric: "cpu.percent").map(\.count), [50 + 40])
    }

    func testUnwritableDirectoryKeepsSamplesAndRecovers() throws {
        let dir = try makeTempDirectory(self)
        let sub = dir.appendingPathComponent("not-yet", isDirectory: true)
        let clock = FakeClock(t0)
        let store = try HistoryStore(path: sub.appendingPathComponent("history.db").path,
                                     tiers: HistoryTier.defaults, options: manualOptions(), time: clock)
        defer { store.close() }
        XCTAssertFalse(store.health.writable)
        XCTAssertNotNil(store.health.lastError)
        for i in 0..<10 { store.append(ts: t0 + Int64(i) * 500, values: [("cpu.percent", 2)]) }
        store.flush()
        var h = store.health
        XCTAssertFalse(h.writable)
        XCTAssertEqual(h.pendingSamples, 10)
        XCTAssertTrue(h.lastError?.contains("unable to open") ?? false, h.lastError ?? "nil")
        XCTAssertNil(h.lastFlushTs)
        XCTAssertThrowsError(try store.query(HistoryQuery(from: t0, to: t0 + 5_000, metrics: ["cpu.percent"], points: 10)))
        XCTAssertThrowsError(try store.saveSnapshot(ts: t0, json: Array("{}".utf8), label: nil))

        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        clock.set(t0 + 6_000)
        store.flush()
        h = store.health
        XCTAssertTrue(h.writable)
        XCTAssertEqual(h.pendingSamples, 0)
        XCTAssertEqual(h.lastFlushTs, t0 + 6_000)
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 5_000, metrics: ["cpu.percent"], points: 10))
        XCTAssertEqual(r.series["cpu.percent"]?.compactMap(\.avg), Array(repeating: 2, count: 10))
    }

    func testDeletedDirectoryMidRunRecoversWithoutLosingPendingSamples() throws {
        let dir = try makeTempDirectory(self)
        let sub = dir.appendingPathComponent("data", isDirectory: true)
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let clock = FakeClock(t0)
        let store = try HistoryStore(path: sub.appendingPathComponent("history.db").path,
                                     tiers: HistoryTier.defaults, options: manualOptions(), time: clock)
        defer { store.close() }
        store.append(ts: t0, values: [("cpu.percent", 1)])
        store.flush()
        XCTAssertTrue(store.health.writable)

        try FileManager.default.removeItem(at: sub)
        store.append(ts: t0 + 500, values: [("cpu.percent", 2)])
        store.append(ts: t0 + 1_000, values: [("cpu.percent", 3)])
        store.flush()
        XCTAssertFalse(store.health.writable)
        XCTAssertEqual(store.health.pendingSamples, 2)

        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        store.flush()
        XCTAssertTrue(store.health.writable)
        XCTAssertEqual(store.health.pendingSamples, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: sub.appendingPathComponent("history.db").path))
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 1_500, metrics: ["cpu.percent"], points: 3))
        // The first sample went down with the deleted file; the two pending ones were kept.
        XCTAssertEqual(r.series["cpu.percent"]?.map(\.avg), [nil, 2, 3])
    }

    func testDeletedFileIsRecreated() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("history.db").path
        let clock = FakeClock(t0)
        let store = try open(dir, clock: clock)
        defer { store.close() }
        store.append(ts: t0, values: [("cpu.percent", 1)])
        store.flush()
        _ = try store.query(HistoryQuery(from: t0, to: t0 + 500, metrics: ["cpu.percent"], points: 1))
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        store.append(ts: t0 + 500, values: [("cpu.percent", 5)])
        store.flush()
        XCTAssertTrue(store.health.writable)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 1_000, metrics: ["cpu.percent"], points: 2))
        XCTAssertEqual(r.series["cpu.percent"]?.map(\.avg), [nil, 5])
    }

    func testFullDiskKeepsBoundedPendingDropsOldestAndRecovers() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0)
        let store = try open(dir, clock: clock, maxPending: 100)
        defer { store.close() }
        store.append(ts: t0, values: [("m0", 0)])
        store.flush()
        // Cap the file at its current size: the next insert needing a page fails as a full disk would.
        try store.execOnWriterForTesting("PRAGMA max_page_count = 1")
        for i in 1...150 {
            store.append(ts: t0 + Int64(i) * 500, values: (0..<30).map { ("metric.\($0)", Double(i)) })
        }
        store.flush()
        var h = store.health
        XCTAssertFalse(h.writable)
        XCTAssertTrue(h.lastError?.contains("full") ?? false, h.lastError ?? "nil")
        XCTAssertEqual(h.pendingSamples, 100)
        XCTAssertEqual(store.droppedSamples, 50)
        // Appending while failing never blocks and stays bounded.
        store.append(ts: t0 + 151 * 500, values: [("metric.0", 151)])
        XCTAssertEqual(store.health.pendingSamples, 100)
        store.flush()
        XCTAssertFalse(store.health.writable)

        try store.execOnWriterForTesting("PRAGMA max_page_count = 1073741823")
        store.flush()
        h = store.health
        XCTAssertTrue(h.writable)
        XCTAssertEqual(h.pendingSamples, 0)
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 152 * 500, metrics: ["metric.0"], points: 152))
        let s = try XCTUnwrap(r.series["metric.0"])
        XCTAssertEqual(s.count, 152)
        // Oldest dropped first: samples 1...51 are gone, 52...151 are there.
        XCTAssertTrue(s[1...51].allSatisfy { $0.avg == nil })
        XCTAssertEqual(s[52...151].map(\.avg), (52...151).map { Double($0) })
    }

    func testBadInput() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0 + 10_000)
        let store = try open(dir, clock: clock)
        defer { store.close() }
        store.append(ts: t0, values: [("cpu.percent", .nan), ("memory.percent", .infinity), ("disk.percent", 4)])
        store.append(ts: t0 + 500, values: [("cpu.percent", 6)])
        store.append(ts: t0 + 1_000, values: [("cpu.percent", -.infinity)])
        store.flush()
        let r = try store.query(HistoryQuery(from: t0, to: t0 + 1_500, metrics: ["cpu.percent", "memory.percent", "disk.percent", "nope"], points: 3))
        XCTAssertEqual(r.series["cpu.percent"]?.map(\.avg), [nil, 6, nil])
        XCTAssertEqual(r.series["memory.percent"], [])   // never got a finite value: unknown
        XCTAssertEqual(r.series["disk.percent"]?.map(\.avg), [4, nil, nil])
        XCTAssertEqual(r.series["nope"], [])
        XCTAssertThrowsError(try store.query(HistoryQuery(from: t0, to: t0, metrics: ["cpu.percent"], points: 3))) { e in
            XCTAssertTrue("\(e)".contains("before"), "\(e)")
        }
        XCTAssertThrowsError(try HistoryStore(path: dir.appendingPathComponent("x.db").path,
                                              tiers: [], options: manualOptions(), time: clock))
    }

    func testSavedSnapshotsRoundTrip() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0)
        let store = try open(dir, clock: clock)
        let json = Array(#"{"cpu":{"percent":12.5},"gpus":[]}"#.utf8)
        let a = try store.saveSnapshot(ts: t0, json: json, label: "before run")
        let b = try store.saveSnapshot(ts: t0 + 1_000, json: Array("{}".utf8), label: nil)
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(try store.savedSnapshots(limit: 10), [
            SavedSnapshot(id: b, ts: t0 + 1_000, label: nil),
            SavedSnapshot(id: a, ts: t0, label: "before run"),
        ])
        XCTAssertEqual(try store.savedSnapshots(limit: 1).map(\.id), [b])
        XCTAssertEqual(try store.savedSnapshotJSON(id: a), json)
        XCTAssertNil(try store.savedSnapshotJSON(id: 999))
        store.close()
        let again = try open(dir, clock: clock)
        defer { again.close() }
        XCTAssertEqual(try again.savedSnapshotJSON(id: a), json)
    }

    func testBackgroundTimerFlushesWithoutExplicitFlush() throws {
        let dir = try makeTempDirectory(self)
        let clock = FakeClock(t0)
        var o = manualOptions()
        o.flushIntervalMs = 50
        let store = try HistoryStore(path: dir.appendingPathComponent("h.db").path, tiers: HistoryTier.defaults,
                                     options: o, time: clock)
        defer { store.close() }
        store.append(ts: t0, values: [("cpu.percent", 1)])
        let deadline = Date().addingTimeInterval(5)
        while store.health.lastFlushTs == nil && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(store.health.pendingSamples, 0)
        XCTAssertEqual(try store.query(HistoryQuery(from: t0, to: t0 + 500, metrics: ["cpu.percent"], points: 1))
            .series["cpu.percent"]?.first?.avg, 1)
    }
}

final class HistoryStoreConcurrencyTests: XCTestCase {
    func testConcurrentAppendsAndQueriesWhileFlushing() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("history.db").path
        let t0: Int64 = 1_700_000_040_000
        let clock = FakeClock(t0 + 3_600_000)
        // Bound above the 2000-sample burst, so every sample must arrive.
        var o = manualOptions(maxPending: 10_000)
        o.flushIntervalMs = 5
        let store = try HistoryStore(path: path, tiers: HistoryTier.defaults, options: o, time: clock)
        defer { store.close() }
        // WAL, so the readers below never wait for the writer.
        let db = try SQLiteConnection(path: path, readOnly: true)
        let mode = try db.prepare("PRAGMA journal_mode")
        XCTAssertTrue(try mode.step())
        XCTAssertEqual(mode.string(0), "wal")
        mode.finalize()
        db.close()

        DispatchQueue.concurrentPerform(iterations: 5) { worker in
            if worker == 4 {
                for _ in 0..<50 {
                    do {
                        _ = try store.query(HistoryQuery(from: t0, to: t0 + 3_600_000, metrics: ["w0", "w1"], points: 100))
                    } catch {
                        XCTFail("query during writes: \(error)")
                    }
                }
                return
            }
            for i in 0..<500 {
                store.append(ts: t0 + Int64(i) * 500, values: [("w\(worker)", Double(i))])
            }
        }
        store.flush()
        for w in 0..<4 {
            XCTAssertEqual(try readTier(path, tier: "raw", metric: "w\(w)").count, 500)
        }
        XCTAssertEqual(store.health.pendingSamples, 0)
        XCTAssertEqual(store.droppedSamples, 0)
    }
}

final class HistoryStoreLifecycleTests: XCTestCase {
    func testClosedStoreNeverReopensTheFile() throws {
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("history.db").path
        let clock = FakeClock(1_700_000_000_000)
        var o = manualOptions()
        o.flushIntervalMs = 1
        o.pruneIntervalMs = 1
        let store = try HistoryStore(path: path, tiers: HistoryTier.defaults, options: o, time: clock)
        store.append(ts: clock.now, values: [("cpu.percent", 1)])
        store.close()
        store.close()   // twice is harmless
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        store.append(ts: clock.now + 500, values: [("cpu.percent", 1)])
        store.flush()
        store.prune()
        usleep(50_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
        XCTAssertThrowsError(try store.saveSnapshot(ts: clock.now, json: [], label: nil))
        XCTAssertThrowsError(try store.savedSnapshots(limit: 1))
    }
}
