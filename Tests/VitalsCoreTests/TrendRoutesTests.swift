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
}
