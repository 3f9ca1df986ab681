import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Admin actions and refusals land in the audit log with who, where, what, before and
/// after; the token itself never does.
final class AuditLogTests: XCTestCase {
    func testAdminActionsAndRefusalsAreAudited() throws {
        let d = try TestDaemon()
        XCTAssertEqual(try d.post("/api/v1/system/constraints", body: #"{"vram": {"warning_percent": 80, "critical_percent": 92}}"#).status, 200)
        XCTAssertEqual(try d.post("/api/v1/alerts/rules", body: AlertRoutesTests.lowRule).status, 201)
        XCTAssertEqual(try d.post("/api/v1/system/constraints", body: "{}", token: "wrong-token-0123456789").status, 401)
        XCTAssertEqual(try d.post("/api/v1/system/constraints", body: "{}", token: TestDaemon.readToken).status, 403)
        d.app.audit.drain()
        let admin = ["Authorization": "Bearer \(TestDaemon.adminToken)"]
        XCTAssertEqual(try d.get("/api/v1/audit").status, 401, "admin only")
        d.app.audit.drain()
        let r = try d.get("/api/v1/audit", headers: admin)
        XCTAssertEqual(r.status, 200)
        XCTAssertFalse(r.text.contains(TestDaemon.adminToken) || r.text.contains(TestDaemon.readToken) || r.text.contains("wrong-token"))
        let entries = try r.json()["entries"]?.arrayValue ?? []
        XCTAssertEqual(entries.map { $0["status"]?.intValue ?? 0 }, [401, 403, 401, 201, 200], "the refused read of the audit log itself too")
        let constraints = entries[4]
        XCTAssertEqual(constraints["route"]?.stringValue, "/api/v1/system/constraints")
        XCTAssertEqual(constraints["remote"]?.stringValue, "127.0.0.1")
        XCTAssertTrue(constraints["who"]?.stringValue?.hasPrefix("admin:") ?? false)
        XCTAssertEqual(constraints["before"]?["vram"]?["warning_percent"]?.doubleValue, 85)
        XCTAssertEqual(constraints["after"]?["vram"]?["warning_percent"]?.doubleValue, 80)
        let rule = entries[3]
        XCTAssertEqual(rule["after"]?.arrayValue?.contains { $0["name"]?.stringValue == "ram_low" }, true)
        XCTAssertEqual(rule["before"]?.arrayValue?.contains { $0["name"]?.stringValue == "ram_low" }, false)
        XCTAssertEqual(entries[0]["who"]?.stringValue, "anonymous")
        XCTAssertTrue(entries[1]["who"]?.stringValue?.hasPrefix("read:") ?? false)
        XCTAssertTrue(entries[2]["who"]?.stringValue?.hasPrefix("unknown:") ?? false)
        let filtered = try d.get("/api/v1/audit?route=/api/v1/alerts/rules", headers: admin).json()
        XCTAssertEqual(filtered["total"]?.intValue, 1)
    }
}
