import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// The daemon end to end: live stats, history after ticks, auth, restart, and the real /proc.
final class DaemonTests: XCTestCase {
    func testLiveStatsMatchRealProc() throws {
        let d = try TestDaemon(procRoot: "/proc", sysRoot: "/sys")
        let stats = try d.get("/api/v1/system/stats")
        XCTAssertEqual(stats.status, 200)
        let json = try stats.json()
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let processors = cpuinfo.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
        XCTAssertEqual(json["host"]?["cpu_count"]?.intValue, processors)
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let memTotalLine = try XCTUnwrap(meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") })
        let kb = try XCTUnwrap(Int(memTotalLine.split(separator: " ")[1]))
        XCTAssertEqual(json["memory"]?["total"]?.intValue, kb * 1024)
        // First tick: rates are unknown, and say so.
        XCTAssertEqual(json["cpu"]?["percent"], .null)
        XCTAssertEqual(json["interval_ms"], .null)
        XCTAssertEqual(json["gpu"]?["available"]?.boolValue, false)
    }

    func testHistoryAfterFakeTicks() throws {
        let d = try TestDaemon(procRoot: "/proc", sysRoot: "/sys")
        let start = (Clock.wallMs() / 500) * 500 - 30_000
        for i in 0..<60 {
            d.app.sampler.tick(wallMs: start + Int64(i) * 500, monoNs: Clock.monotonicNs() + UInt64(i) * 500_000_000)
        }
        d.app.store?.flush()
        let r = try d.get("/api/v1/system/stats/history?range=1m&metrics=cpu.percent,memory.percent&points=30")
        XCTAssertEqual(r.status, 200, r.text)
        let json = try r.json()
        XCTAssertEqual(json["tier"]?.stringValue, "raw")
        XCTAssertEqual(json["bucket_ms"]?.intValue, 2000)
        let mem = try XCTUnwrap(json["series"]?["memory.percent"]?.arrayValue)
        XCTAssertLessThanOrEqual(mem.count, 30)
        let filled = mem.filter { $0["avg"]?.doubleValue != nil }
        XCTAssertGreaterThanOrEqual(filled.count, 14)
        for b in filled {
            let avg = try XCTUnwrap(b["avg"]?.doubleValue), lo = try XCTUnwrap(b["min"]?.doubleValue), hi = try XCTUnwrap(b["max"]?.doubleValue)
            XCTAssertTrue(lo <= avg && avg <= hi && avg > 0 && avg < 100)
        }
        let ts = mem.compactMap { $0["t"]?.intValue }
        XCTAssertEqual(ts, ts.sorted())
    }

    func testHistoryParameterErrors() throws {
        let d = try TestDaemon()
        let unknown = try d.get("/api/v1/system/stats/history?metrics=cpu.percent,bogus.metric")
        XCTAssertEqual(unknown.status, 422)
        let json = try unknown.json()
        XCTAssertEqual(json["error"]?["details"]?["field"]?.stringValue, "query.metrics")
        XCTAssertEqual(json["error"]?["code"]?.stringValue, "unknown_metric")
        XCTAssertTrue(json["error"]?["details"]?["valid"]?.arrayValue?.contains(.string("memory.percent")) ?? false)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?range=2w").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?points=5000").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?hours=-1").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?range=1h&hours=2").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?hours=1.5&points=10").status, 200)
        // Times past the year 9999 once crashed the daemon with an Int64 overflow.
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?from=1e19").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?from=0&to=9223372036854775000").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?from=0&to=9000000000000000000&points=1").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?from=-5").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/health").status, 200)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00.5%2B01:00").status, 200)
    }

    func testSaveNeedsAdminTokenAndChangesNothingWhenRefused() throws {
        let d = try TestDaemon()
        XCTAssertEqual(try d.post("/api/v1/system/stats/save", token: nil).status, 401)
        XCTAssertEqual(try d.post("/api/v1/system/stats/save", token: "wrong-token-0123456789").status, 401)
        XCTAssertEqual(try d.post("/api/v1/system/stats/save", token: TestDaemon.readToken).status, 403)
        XCTAssertEqual(try d.post("/api/v1/system/stats/save", body: "{\"label\": 5}").status, 422)
        XCTAssertEqual(try d.post("/api/v1/system/stats/save", body: "{\"other\": 1}").status, 422)
        // Not JSON at all is malformed (400), not merely invalid.
        let malformed = try d.post("/api/v1/system/stats/save", body: "{\"label\": ")
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual(try malformed.json()["error"]?["code"]?.stringValue, "malformed_json")
        XCTAssertEqual(try d.app.store?.savedSnapshots().count, 0)
        let ok = try d.post("/api/v1/system/stats/save", body: "{\"label\": \"before upgrade\"}")
        XCTAssertEqual(ok.status, 201, ok.text)
        let id = try XCTUnwrap(ok.json()["id"]?.intValue)
        XCTAssertEqual(try d.app.store?.savedSnapshots().map(\.label), ["before upgrade"])
        let list = try d.get("/api/v1/system/stats/saved").json()
        XCTAssertEqual(list["saved"]?.arrayValue?.first?["id"]?.intValue, id)
        XCTAssertEqual(list["saved"]?.arrayValue?.first?["label"]?.stringValue, "before upgrade")
        let one = try d.get("/api/v1/system/stats/saved/\(id)")
        XCTAssertEqual(one.status, 200)
        XCTAssertNotNil(try one.json()["cpu"])
        XCTAssertEqual(try d.get("/api/v1/system/stats/saved/999999").status, 404)
        XCTAssertEqual(try d.get("/api/v1/system/stats/saved/abc").status, 422)
    }

    func testReadsNeedTokenWhenConfigured() throws {
        // A non-loopback bind needs tokens for reads; we bind loopback but apply the same policy.
        let d = try TestDaemon()
        let policy = AuthPolicy(adminTokens: [TestDaemon.adminToken], readTokens: [TestDaemon.readToken], readsNeedToken: true)
        let read = AuthContext(access: .read, isUpgrade: false)
        let req = HTTPRequest(method: "GET", path: "/api/v1/system/stats")
        XCTAssertEqual(policy.authorize(req, read)?.status, 401)
        var withRead = req
        withRead.headers = [("authorization", "Bearer \(TestDaemon.readToken)")]
        XCTAssertNil(policy.authorize(withRead, read))
        // A query token only on the WebSocket upgrade: elsewhere it ends up in logs.
        var viaQuery = req
        viaQuery.rawQuery = "token=\(TestDaemon.adminToken)"
        XCTAssertEqual(policy.authorize(viaQuery, read)?.status, 400)
        XCTAssertNil(policy.authorize(viaQuery, AuthContext(access: .read, isUpgrade: true)))
        // Two Authorization headers are ambiguous.
        var twice = withRead
        twice.headers.append(("authorization", "Bearer \(TestDaemon.adminToken)"))
        XCTAssertEqual(policy.authorize(twice, AuthContext(access: .admin, isUpgrade: false))?.status, 400)
        _ = d
    }

    func testQueryTokenAndDuplicateAuthorizationOverSockets() throws {
        let d = try TestDaemon()
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 1_000_000_000, withGPU: false)
        XCTAssertEqual(try d.get("/api/v1/system/stats?token=\(TestDaemon.readToken)").status, 400)
        let c = try TestHTTPClient(port: d.port)
        c.send("POST /api/v1/system/stats/save HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(TestDaemon.readToken)\r\n"
               + "Authorization: Bearer \(TestDaemon.adminToken)\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 400)
        XCTAssertEqual(try d.app.store?.savedSnapshots().count, 0)
    }

    /// `Expect: 100-continue` from a client without a token gets its 401 before any
    /// `100 Continue`, so it never uploads; with the token it is invited as before.
    func testExpectContinueIsRefusedBeforeTheBodyWithoutAToken() throws {
        let d = try TestDaemon()
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 1_000_000_000, withGPU: false)
        let body = #"{"label":"x"}"#
        let anonymous = try TestHTTPClient(port: d.port)
        anonymous.send("POST /api/v1/system/stats/save HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                       + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
        XCTAssertEqual(anonymous.readResponse()?.status, 401, "refused at once, not 100")
        XCTAssertTrue(anonymous.waitForClose())
        let admin = try TestHTTPClient(port: d.port)
        admin.send("POST /api/v1/system/stats/save HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                   + "Authorization: Bearer \(TestDaemon.adminToken)\r\nContent-Type: application/json\r\n"
                   + "Content-Length: \(body.utf8.count)\r\n\r\n")
        XCTAssertEqual(admin.readResponse()?.status, 100)
        admin.send(body)
        XCTAssertEqual(admin.readResponse()?.status, 201)
    }

    func testRestartKeepsHistory() throws {
        let dir = TempDir()
        let base = (Clock.wallMs() / 500) * 500 - 20_000
        do {
            let d = try TestDaemon(procRoot: "/proc", sysRoot: "/sys", dataDir: dir.path)
            for i in 0..<20 { d.app.sampler.tick(wallMs: base + Int64(i) * 500, monoNs: Clock.monotonicNs() + UInt64(i) * 500_000_000) }
            d.app.stop() // flushes
        }
        let d2 = try TestDaemon(procRoot: "/proc", sysRoot: "/sys", dataDir: dir.path)
        let r = try d2.get("/api/v1/system/stats/history?range=1m&metrics=memory.percent&points=120")
        let series = try XCTUnwrap(r.json()["series"]?["memory.percent"]?.arrayValue)
        let old = series.filter { ($0["t"]?.intValue ?? 0) < Int(base + 10_000) && $0["avg"]?.doubleValue != nil }
        XCTAssertGreaterThanOrEqual(old.count, 15, "samples from before the restart are still there")
    }

    func testHealthReportsComponents() throws {
        let d = try TestDaemon()
        let json = try d.get("/api/v1/system/health").json()
        XCTAssertEqual(json["components"]?["database"]?["writable"]?.boolValue, true)
        XCTAssertNotNil(json["components"]?["sampler"]?["last_tick_age_ms"]?.intValue)
        XCTAssertNotNil(json["components"]?["daemon"]?["uptime_s"]?.doubleValue)
        XCTAssertNotNil(json["score"]?.intValue)
    }

    func testUnwritableDatabaseShowsInHealthWhileStatsFlow() throws {
        let dir = TempDir()
        // A directory where the database file should be: SQLite cannot open it.
        try FileManager.default.createDirectory(atPath: dir.path + "/vitals.db", withIntermediateDirectories: true)
        let d = try TestDaemon(dataDir: dir.path)
        d.app.sampler.tick(wallMs: Clock.wallMs(), monoNs: Clock.monotonicNs())
        d.app.store?.flush()
        XCTAssertEqual(try d.get("/api/v1/system/stats").status, 200)
        let health = try d.get("/api/v1/system/health").json()
        XCTAssertEqual(health["components"]?["database"]?["writable"]?.boolValue, false)
        XCTAssertNotEqual(health["status"]?.stringValue, "ok")
        XCTAssertFalse(health["warnings"]?.arrayValue?.isEmpty ?? true)
    }
}
