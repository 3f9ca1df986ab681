import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Trends: a least-squares slope through history and the time until full at that slope.
final class TrendRoutesTests: XCTestCase {
    func testRisingFilesystemHasASlopeAndATimeUntilFull() throws {
        // No filesystems from the fixture tick: fs.max_percent is only the synthetic series.
        let d = try TestDaemon(statfs: { _ in nil })
        let store = try XCTUnwrap(d.app.store)
        let now = d.app.time.wallMs()
        // 1 % per hour over the last 6 hours, 50 % → 56 %.
        for i in 0..<360 {
            let ts = now - 6 * 3_600_000 + Int64(i) * 60_000
            store.append(ts: ts, values: [("fs.max_percent", 50 + Double(i) / 60)])
        }
        store.flush()
        let r = try d.get("/api/v1/system/trends?metrics=fs.max_percent,cpu.percent&range=24h")
        XCTAssertEqual(r.status, 200, r.text)
        let trends = try r.json()["trends"]?.arrayValue ?? []
        let fs = try XCTUnwrap(trends.first { $0["metric"]?.stringValue == "fs.max_percent" })
        XCTAssertEqual(fs["slope_per_hour"]?.doubleValue ?? 0, 1, accuracy: 0.05)
        XCTAssertEqual(fs["slope_per_day"]?.doubleValue ?? 0, 24, accuracy: 1.2)
        XCTAssertEqual((fs["time_until_full_s"]?.doubleValue ?? 0) / 3600, 44, accuracy: 1.5)
        XCTAssertNotNil(fs["full_at"]?.stringValue)
        let cpu = try XCTUnwrap(trends.first { $0["metric"]?.stringValue == "cpu.percent" })
        XCTAssertEqual(cpu["time_until_full_s"], .null, "CPU does not fill up")
        XCTAssertEqual(try d.get("/api/v1/system/trends?metrics=nope").status, 422)
    }

    /// A young daemon's few points give no forecast, and a flat series gives no time until
    /// full, rather than wild slopes and a date 10^12 days away.
    func testNoForecastFromTooLittleHistoryOrAFlatLine() throws {
        let d = try TestDaemon(statfs: { _ in nil })
        let store = try XCTUnwrap(d.app.store)
        let now = d.app.time.wallMs()
        // memory.percent: 40 s of a steep rise; fs.max_percent: two hours, flat to 1e-9.
        for i in 0..<5 { store.append(ts: now - 40_000 + Int64(i) * 10_000, values: [("memory.percent", 20 + Double(i) * 5)]) }
        for i in 0..<120 { store.append(ts: now - 7_200_000 + Int64(i) * 60_000, values: [("fs.max_percent", 50 + Double(i) * 1e-9)]) }
        store.flush()
        let r = try d.get("/api/v1/system/trends?metrics=memory.percent,fs.max_percent&range=1h")
        XCTAssertEqual(r.status, 200, r.text)
        let trends = try r.json()["trends"]?.arrayValue ?? []
        let mem = try XCTUnwrap(trends.first { $0["metric"]?.stringValue == "memory.percent" })
        XCTAssertEqual(mem["slope_per_hour"], .null, "40 s of history is too little: \(mem)")
        XCTAssertEqual(mem["time_until_full_s"], .null)
        XCTAssertLessThan(mem["history_s"]?.doubleValue ?? 99, 60, "40 s of samples in 12 s buckets")
        let fs = try XCTUnwrap(trends.first { $0["metric"]?.stringValue == "fs.max_percent" })
        XCTAssertNotEqual(fs["slope_per_hour"], .null, "an hour of history is enough")
        XCTAssertEqual(fs["time_until_full_s"], .null, "over a year away is no date: \(fs)")
        XCTAssertEqual(fs["full_at"], .null)
    }
}
