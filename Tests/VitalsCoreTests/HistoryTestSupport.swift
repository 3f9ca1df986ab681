import XCTest
import Synchronization
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// The history tests' clock: wall time they set and move by hand.
typealias FakeClock = ManualTime
extension ManualTime {
    convenience init(_ wallMs: Int64) { self.init(wallMs: wallMs) }
    var now: Int64 { wallMs() }
    func set(_ v: Int64) { setWall(v) }
    func advance(_ d: Int64) { advance(ms: d) }
}

/// A fresh temporary directory, removed when the test ends.
func makeTempDirectory(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("vitals-store-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// Options with the timers off, so tests decide when data is written.
func manualOptions(maxPending: Int = 1_200) -> HistoryStoreOptions {
    var o = HistoryStoreOptions()
    o.flushIntervalMs = nil
    o.pruneIntervalMs = nil
    o.maxPendingSamples = maxPending
    return o
}

/// Short tiers so rollups and retention show up within a test's made-up minutes.
let shortTiers = [
    HistoryTier(name: "raw", stepMs: 500, retentionMs: 60_000),
    HistoryTier(name: "10s", stepMs: 10_000, retentionMs: 600_000),
    HistoryTier(name: "1m", stepMs: 60_000, retentionMs: 3_600_000),
]

/// Rows of one tier table for one metric, read straight from the file.
struct TierRow: Equatable {
    var ts: Int64
    var avg: Double
    var min: Double
    var max: Double
    var count: Int64
}

func readTier(_ path: String, tier: String, metric: String) throws -> [TierRow] {
    let db = try SQLiteConnection(path: path, readOnly: true)
    defer { db.close() }
    let isRaw = tier == "raw"
    let cols = isRaw ? "ts, value, value, value, 1" : "ts, avg, min, max, count"
    let s = try db.prepare("""
        SELECT \(cols) FROM "hist_\(tier)" WHERE metric = (SELECT id FROM metrics WHERE name = ?1) ORDER BY ts
        """)
    defer { s.finalize() }
    s.bind(1, metric)
    var rows: [TierRow] = []
    while try s.step() {
        rows.append(TierRow(ts: s.int64(0), avg: s.double(1), min: s.double(2), max: s.double(3), count: s.int64(4)))
    }
    return rows
}
