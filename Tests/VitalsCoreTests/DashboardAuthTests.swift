import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Where reads need a token, a browser must still load the dashboard (it cannot send a
/// header with a navigation or a module script), and nothing with data may come without
/// one. Over real sockets, on a loopback daemon with `auth.loopback_reads_need_token`.
final class DashboardAuthTests: XCTestCase {
    func daemon() throws -> TestDaemon {
        let d = try TestDaemon { $0.loopbackReadsNeedToken = true }
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 1_000_000_000, withGPU: false)
        return d
    }

    func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }

    func testThePageAndItsFilesNeedNoTokenButTheDataDoes() throws {
        let d = try daemon()
        XCTAssertTrue(d.app.auth.readsNeedToken, "the key closes reads on a loopback bind")

        let page = try d.get("/", headers: ["Accept": "text/html"])
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("/ui/app.js"))
        for file in ["app.js", "api.js", "app.css", "chart.min.js"] {
            XCTAssertEqual(try d.get("/ui/\(file)").status, 200, file)
        }
        // Conditional and compressed requests too, as a browser's second visit makes them.
        let gz = try d.get("/ui/chart.min.js", headers: ["Accept-Encoding": "gzip"])
        XCTAssertEqual(gz.headers["content-encoding"], "gzip")
        XCTAssertEqual(try d.get("/ui/chart.min.js", headers: ["Accept-Encoding": "gzip", "If-None-Match": gz.headers["etag"] ?? ""]).status, 304)
        // A token is never looked at on the files: a wrong one is not a failed authentication.
        XCTAssertEqual(try d.get("/ui/app.js", headers: bearer("wrong-token-0123456789")).status, 200)

        for path in ["/api/v1/system/stats", "/api/v1", "/api/v1/jobs", "/api/v1/activity", "/api/v1/system/trends"] {
            let r = try d.get(path)
            XCTAssertEqual(r.status, 401, path)
            XCTAssertEqual(r.headers["www-authenticate"], "Bearer realm=\"vitals\"", path)
            XCTAssertEqual(try d.get(path, headers: bearer(TestDaemon.readToken)).status, 200, path)
            // An admin token reads too: the page uses the one it has for admin actions.
            XCTAssertEqual(try d.get(path, headers: bearer(TestDaemon.adminToken)).status, 200, path)
        }
    }

    /// `/` answers the page to a browser; to anyone else it is the route index, a read.
    func testTheIndexOnRootStaysARead() throws {
        let d = try daemon()
        let anonymous = try d.get("/", headers: ["Accept": "application/json"])
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(try anonymous.json()["error"]?["code"]?.stringValue, "unauthorized")
        XCTAssertEqual(try d.get("/", headers: ["Accept": "*/*", "Authorization": "Bearer nope-nope-nope-nope"]).status, 401)
        let read = try d.get("/", headers: bearer(TestDaemon.readToken))
        XCTAssertEqual(read.status, 200)
        XCTAssertEqual(try read.json()["name"]?.stringValue, "vitals")
        // HEAD of the page, as a link checker sends it.
        let head = try TestHTTPClient(port: d.port)
        head.send("HEAD / HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n\r\n")
        XCTAssertEqual(head.readResponse(head: true)?.status, 200)
    }

    /// The WebSocket is a read: `?token=` (the one place a query token is taken) opens it.
    func testTheFeedNeedsTheTokenInTheQuery() throws {
        let d = try daemon()
        XCTAssertEqual(try TestWebSocketClient(port: d.port).handshake(path: "/ws?topics=system_stats").status, 401)
        XCTAssertEqual(try TestWebSocketClient(port: d.port).handshake(path: "/ws?topics=system_stats&token=\(TestDaemon.readToken)").status, 101)
        XCTAssertEqual(try TestWebSocketClient(port: d.port).handshake(path: "/ws?topics=activity&token=\(TestDaemon.adminToken)").status, 101)
        // Off the upgrade a query token is still refused, files or not.
        XCTAssertEqual(try d.get("/api/v1/system/stats?token=\(TestDaemon.readToken)").status, 400)
    }

    /// The index and the OpenAPI document say the files need nothing.
    func testTheDocumentsSayTheFilesNeedNoToken() throws {
        let d = try daemon()
        let index = try d.get("/api/v1", headers: bearer(TestDaemon.readToken)).json()
        let auth = Dictionary((index["routes"]?.arrayValue ?? []).compactMap { r -> (String, String)? in
            guard r["method"]?.stringValue == "GET", let p = r["path"]?.stringValue, let a = r["auth"]?.stringValue else { return nil }
            return (p, a)
        }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(auth["/ui/{file}"], "none")
        XCTAssertEqual(auth["/"], "none")
        XCTAssertEqual(auth["/api/v1/system/stats"], "read")
        let doc = try d.get("/api/v1/openapi.json", headers: bearer(TestDaemon.readToken)).json()
        XCTAssertEqual(doc["paths"]?["/ui/{file}"]?["get"]?["security"]?.arrayValue?.count, 0)
        XCTAssertEqual(doc["paths"]?["/api/v1/system/stats"]?["get"]?["security"]?.arrayValue?.count, 1)
        XCTAssertNotNil(doc["paths"]?["/"]?["get"]?["responses"]?["401"])
    }

    /// Without the key a loopback bind keeps reads open; `open_reads` speaks only for other binds.
    func testTheKeyOnlyClosesLoopbackReads() throws {
        var c = VitalsConfig()
        c.adminTokens = [TestDaemon.adminToken]
        XCTAssertFalse(try AuthPolicy.load(c).readsNeedToken)
        c.loopbackReadsNeedToken = true
        XCTAssertTrue(try AuthPolicy.load(c).readsNeedToken)
        c.listenAddress = "0.0.0.0"
        c.loopbackReadsNeedToken = false
        XCTAssertTrue(try AuthPolicy.load(c).readsNeedToken)
        c.openReads = true
        XCTAssertFalse(try AuthPolicy.load(c).readsNeedToken)
    }
}
