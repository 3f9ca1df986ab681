import XCTest
import Foundation
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Timing, not a test: runs only with VITALS_BENCH=1, best in release:
/// `VITALS_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter HistoryBenchTests`
final class HistoryBenchTests: XCTestCase {
    private let day: Int64 = 86_400_000

    func testQueryAndFlushTimings() throws {
        guard ProcessInfo.processInfo.environment["VITALS_BENCH"] == "1" else {
            throw XCTSkip("set VITALS_BENCH=1 to run the history benchmark")
        }
        let dir = try makeTempDirectory(self)
        let path = dir.appendingPathComponent("bench.db").path
        let now: Int64 = 1_700_000_000_000
        let clock = FakeClock(now)
        let tiers = HistoryTier.defaults
        let metricCount = 20

        // Create the schema through the store, then fill the tiers directly.
        try HistoryStore(path: path, tiers: tiers, options: manualOptions(), time: clock).close()
        let fillStart = Date()
        let db = try SQLiteConnection(path: path, readOnly: false)
        try db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF")
        try db.transaction { () throws(StoreError) in
            let m = try db.prepare("INSERT INTO metrics (id, name) VALUES (?1, ?2)")
            for id in 0..<metricCount { m.reset(); m.bind(1, Int64(id + 1)); m.bind(2, "metric.\(id)"); try m.run() }
            m.finalize()
            func fill(_ tier: HistoryTier, span: Int64, isRaw: Bool) throws(StoreError) {
                let table = HistorySchema.tableName(tier)
                let sql = isRaw ? "INSERT INTO \(table) VALUES (?1, ?2, ?3)"
                    : "INSERT INTO \(table) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                let s = try db.prepare(sql)
                defer { s.finalize() }
                let end = HistoryTierPlan.floorToMultiple(now, of: tier.stepMs)
                for id in 1...Int64(metricCount) {
                    var ts = end - span
                    while ts < end {
                        let v = 50 + 40 * sin(Double(ts) / 3_600_000 + Double(id))
                        s.reset()
                        s.bind(1, id); s.bind(2, ts); s.bind(3, v)
                        if !isRaw { s.bind(4, v - 5); s.bind(5, v + 5); s.bind(6, tier.stepMs / 500) }
                        try s.run()
                        ts += tier.stepMs
                    }
                }
            }
            try fill(tiers[0], span: 6 * 3_600_000, isRaw: true)
            try fill(tiers[1], span: 7 * day, isRaw: false)
            try fill(tiers[2], span: 7 * day, isRaw: false)
        }
        try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        let fillSeconds = Date().timeIntervalSince(fillStart)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0

        let store = try HistoryStore(path: path, tiers: tiers, options: manualOptions(), time: clock)
        defer { store.close() }

        func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<runs {
                let t = DispatchTime.now().uptimeNanoseconds
                try body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
            }
            return times.sorted()[runs / 2]
        }
        var lines = ["fill: \(metricCount) metrics, 7 d of 10s + 5m, 6 h raw: \(String(format: "%.1f", fillSeconds)) s, \(size / 1_048_576) MiB"]
        for (label, span, tier) in [("7d", 7 * day, "5m"), ("24h", day, "10s"), ("1h", day / 24, "raw")] {
            let q = HistoryQuery(from: now - span, to: now, metrics: ["metric.3", "metric.7"], points: 1000)
            let r = try store.query(q)
            XCTAssertEqual(r.tier, tier)
            XCTAssertGreaterThan(r.series["metric.3"]?.compactMap(\.avg).count ?? 0, 100)
            let ms = try median(21) { _ = try store.query(q) }
            lines.append("query \(label), 2 metrics, 1000 points (tier \(r.tier), \(r.series["metric.3"]?.count ?? 0) buckets of \(r.bucketMs) ms): \(String(format: "%.2f", ms)) ms")
        }
        var ts = now
        let flushMs = median(21) {
            for _ in 0..<2 {
                ts += 500
                clock.set(ts)
                store.append(ts: ts, values: (0..<30).map { ("metric.\($0)", Double($0)) })
            }
            store.flush()
        }
        lines.append("flush of 2 samples x 30 metrics (incl. rollup check): \(String(format: "%.2f", flushMs)) ms")
        print(lines.map { "BENCH " + $0 }.joined(separator: "\n"))
    }
}
