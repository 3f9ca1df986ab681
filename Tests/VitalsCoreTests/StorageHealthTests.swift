import Foundation
import Glibc
import XCTest
@testable import VitalsSupport
@testable import VitalsCore
@testable import VitalsAPI

/// Health must not say "ok" while the database fails queries: a file damaged in the middle
/// still opens and takes new batches at its end, so only the failed reads tell.
final class StorageHealthTests: XCTestCase {
    func testCorruptPageInTheMiddleMakesDatabaseFailing() throws {
        let dir = TempDir()
        let path = dir.path + "/vitals.db"
        let now = (Clock.wallMs() / 500) * 500
        var options = HistoryStoreOptions()
        options.flushIntervalMs = nil
        options.pruneIntervalMs = nil
        // An hour of two series: the 1 h query below reads every raw page of both.
        let store = try HistoryStore(path: path, options: options, time: ManualTime(wallMs: now))
        for i in 0..<7_200 {
            let ts = now - 3_600_000 + Int64(i) * 500
            store.append(ts: ts, values: [("cpu.percent", Double(i % 100)), ("memory.percent", Double(i % 37))])
        }
        store.flush()
        store.close()

        // The middle of the file overwritten, as a bad sector or a stray write would: the
        // header and schema pages at the start stay intact, so the file still opens. (Which
        // table a given page holds depends on the schema, so a span, not one page.)
        let fd = open(path, O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let size = lseek(fd, 0, SEEK_END)
        let pages = size / 4096
        XCTAssertGreaterThan(pages, 16, "the file must be large enough to have a middle")
        let junk = [UInt8](repeating: 0xA5, count: 4096)
        for page in (pages / 4)..<(pages * 3 / 4) {
            XCTAssertEqual(junk.withUnsafeBytes { pwrite(fd, $0.baseAddress, 4096, page * 4096) }, 4096)
        }
        close(fd)

        let d = try TestDaemon(dataDir: dir.path)
        let r = try d.get("/api/v1/system/stats/history?range=1h&metrics=cpu.percent,memory.percent&points=1000")
        XCTAssertEqual(r.status, 500, r.text)
        let health = try d.get("/api/v1/system/health").json()
        let db = health["components"]?["database"]
        XCTAssertEqual(db?["status"]?.stringValue, "failing", "\(health)")
        XCTAssertNotNil(db?["last_failure_ts"]?.intValue)
        XCTAssertTrue(db?["last_failure"]?.stringValue?.contains("malformed") ?? false, "\(health)")
        XCTAssertNotEqual(health["status"]?.stringValue, "ok")
        let warnings = health["warnings"]?.arrayValue ?? []
        XCTAssertTrue(warnings.contains { $0["component"]?.stringValue == "database" }, "\(warnings)")
    }

    /// A failure older than the window no longer counts: health recovers on its own.
    func testOldFailureNoLongerCounts() {
        var store = StoreHealth(writable: true, lastError: nil, lastFlushTs: 1, pendingSamples: 0, path: "/x")
        store.lastFailure = StoreFailure(message: "database disk image is malformed", ts: 1_000)
        let sampler = SamplerHealth(lastTickWallMs: 1_000 + HealthReport.failureWindowMs, ticks: 1,
                                    lastCostMicros: 1, avgCostMicros: 1, intervalMs: 500)
        func status(at now: Int64) throws -> String? {
            let bytes = HealthReport.encode(HealthInputs(nowMs: now, startedMs: 0, sampler: sampler, store: store,
                                                         storeOpenError: nil, snapshot: nil, rssBytes: nil, version: "t"))
            return try JSONValue.parse(bytes)["components"]?["database"]?["status"]?.stringValue
        }
        XCTAssertEqual(try status(at: 1_000 + HealthReport.failureWindowMs - 1), "failing")
        XCTAssertEqual(try status(at: 1_000 + HealthReport.failureWindowMs), "ok")
    }
}
