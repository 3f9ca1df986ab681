import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Per-client token buckets on state-changing routes and on failed authentications.
final class RateLimitTests: XCTestCase {
    func testStateChangingRequestsPastTheBurstGet429WithRetryAfter() throws {
        let d = try TestDaemon { $0.adminRequestsPerMinute = 60 }  // burst of 10
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 1_000_000_000, withGPU: false)
        for i in 0..<10 { XCTAssertEqual(try d.post("/api/v1/system/stats/save").status, 201, "request \(i)") }
        let limited = try d.post("/api/v1/system/stats/save")
        XCTAssertEqual(limited.status, 429)
        XCTAssertEqual(limited.headers["retry-after"], "1")
        XCTAssertEqual(try limited.json()["error"]?["code"]?.stringValue, "too_many_requests")
        XCTAssertEqual(try d.app.store?.savedSnapshots().count, 10, "the refused request changed nothing")
        XCTAssertEqual(try d.get("/api/v1/system/stats").status, 200, "reads are not limited")
    }

    func testFailedAuthenticationsThrottleTheClientEvenWithTheRightToken() throws {
        let d = try TestDaemon { $0.authFailuresPerMinute = 3 }
        for _ in 0..<3 {
            XCTAssertEqual(try d.post("/api/v1/system/stats/save", token: "wrong-token-0123456789").status, 401)
        }
        let next = try d.post("/api/v1/system/stats/save", token: "wrong-token-0123456789")
        XCTAssertEqual(next.status, 429)
        XCTAssertNotNil(next.headers["retry-after"])
        XCTAssertEqual(try d.post("/api/v1/system/stats/save").status, 429, "guessing stops, the right token waits too")
        XCTAssertEqual(try d.post("/api/v1/system/stats/save", token: nil).status, 401, "no token is not a guess")
    }

    func testBucketsRefillOverTimeAndStayBounded() {
        let t = ManualTime()
        let b = TokenBuckets(perMinute: 60, burst: 2, time: t, maxKeys: 100)
        XCTAssertNil(b.take("a"))
        XCTAssertNil(b.take("a"))
        XCTAssertEqual(b.take("a"), 1)
        t.advance(ms: 1000)
        XCTAssertNil(b.take("a"), "one token a second")
        for i in 0..<1000 { _ = b.take("client-\(i)") }
        XCTAssertLessThanOrEqual(b.keyCount, 100, "a flood of addresses does not grow the table")
        XCTAssertEqual(TokenBuckets(perMinute: 0, burst: 1, time: t).take("x"), nil)
    }
}
