import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI
@testable import VitalsDashboard

/// The dashboard's routes through the router (no sockets): content negotiation on `/`,
/// ETag and 304, gzip only when accepted, the security headers, and the embedded files.
final class DashboardTests: XCTestCase {
    var dir: TempDir!
    var app: VitalsApp!
    var router: Router!

    override func setUpWithError() throws {
        dir = TempDir()
        var c = VitalsConfig()
        c.dataDir = dir.path
        c.gpuEnabled = false
        app = try VitalsApp(config: c, procRoot: ProcFixtures.path("proc-basic"), sysRoot: ProcFixtures.path("sys-basic"))
        router = app.makeRouter()
    }

    override func tearDown() { app.store?.close() }

    func send(_ path: String, _ headers: [(name: String, value: String)] = []) -> HTTPResponse {
        var req = HTTPRequest(method: "GET", path: path, headers: [("host", "localhost")] + headers)
        guard case .found(let route, let params) = router.match(method: "GET", path: path) else { return .error(404, .notFound, "no route") }
        req.pathParams = params
        guard case .inline(let h) = route.action else { XCTFail("\(path) is not inline"); return .error(500, .error, "") }
        return h(req)
    }

    func header(_ r: HTTPResponse, _ name: String) -> String? { r.headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    func testRootAnswersHTMLToABrowserAndTheIndexToEveryoneElse() throws {
        let browser = send("/", [("accept", "text/html,application/xhtml+xml,*/*;q=0.8")])
        XCTAssertEqual(browser.status, 200)
        XCTAssertEqual(browser.contentType, "text/html; charset=utf-8")
        XCTAssertTrue(String(decoding: browser.body, as: UTF8.self).contains("/ui/app.js"))
        XCTAssertEqual(header(browser, "Content-Security-Policy"), StaticAssets.contentSecurityPolicy)
        XCTAssertEqual(header(browser, "X-Content-Type-Options"), "nosniff")
        XCTAssertEqual(header(browser, "Cache-Control"), "no-cache")
        XCTAssertEqual(header(browser, "Vary"), "Accept, Accept-Encoding")
        XCTAssertFalse(browser.noStore)

        for accept in [nil, "*/*", "application/json", "text/html;q=0"] {
            let r = send("/", accept.map { [("accept", $0)] } ?? [])
            XCTAssertEqual(r.contentType, "application/json", accept ?? "no Accept")
            XCTAssertEqual(r.body, send("/api/v1").body)
        }
    }

    func testETagGivesNotModifiedAndGzipIsItsOwnRepresentation() throws {
        let plain = send("/ui/app.js")
        XCTAssertEqual(plain.status, 200)
        XCTAssertEqual(plain.contentType, "text/javascript; charset=utf-8")
        XCTAssertNil(header(plain, "Content-Encoding"))
        let etag = try XCTUnwrap(header(plain, "ETag"))
        XCTAssertTrue(etag.hasPrefix("\"") && !etag.hasPrefix("W/"), etag)

        let again = send("/ui/app.js", [("if-none-match", "\"other\", " + etag)])
        XCTAssertEqual(again.status, 304)
        XCTAssertTrue(again.body.isEmpty)
        XCTAssertEqual(header(again, "ETag"), etag)

        let packed = send("/ui/chart.min.js", [("accept-encoding", "br, gzip;q=0.8")])
        XCTAssertEqual(header(packed, "Content-Encoding"), "gzip")
        XCTAssertEqual(Array(packed.body.prefix(2)), [0x1f, 0x8b])
        let plainChart = send("/ui/chart.min.js", [("accept-encoding", "gzip;q=0, identity")])
        XCTAssertNil(header(plainChart, "Content-Encoding"))
        XCTAssertLessThan(packed.body.count, plainChart.body.count / 2)
        XCTAssertNotEqual(header(packed, "ETag"), header(plainChart, "ETag"))
        // The gzip tag does not validate the identity body, and the other way round.
        XCTAssertEqual(send("/ui/chart.min.js", [("if-none-match", header(packed, "ETag")!)]).status, 200)
    }

    func testEveryEmbeddedFileDecodesAndOnlyKnownNamesAreServed() throws {
        let assets = EmbeddedAssets.assets
        for name in ["index.html", "app.js", "app.css", "chart.min.js", "tabs.js"] {
            let a = try XCTUnwrap(assets.byName[name], name)
            XCTAssertFalse(a.identity.isEmpty, name)
        }
        XCTAssertTrue(String(decoding: assets.byName["chart.min.js"]!.identity.prefix(200), as: UTF8.self).contains("Chart.js v3"))
        XCTAssertEqual(send("/ui/nope.js").status, 422)
        XCTAssertEqual(send("/ui/index.html").status, 422)
        let total = assets.byName.values.reduce(0) { $0 + ($1.gzip ?? $1.identity).count }
        XCTAssertLessThan(total, 300 * 1024, "every asset together, compressed")
    }

    func testBase64AndHeaderParsing() {
        XCTAssertEqual(Base64.decode("TWFu"), Array("Man".utf8))
        XCTAssertEqual(Base64.decode("TWE="), Array("Ma".utf8))
        XCTAssertEqual(Base64.decode("TQ=="), Array("M".utf8))
        XCTAssertNil(Base64.decode("TQ="))
        XCTAssertNil(Base64.decode("T=Q="))
        XCTAssertTrue(StaticAssets.acceptsGzip("gzip, deflate, br"))
        XCTAssertTrue(StaticAssets.acceptsGzip("*"))
        XCTAssertFalse(StaticAssets.acceptsGzip("gzip;q=0, *"))
        XCTAssertFalse(StaticAssets.acceptsGzip(nil))
        XCTAssertTrue(StaticAssets.matches("W/\"abc\"", "\"abc\""))
        XCTAssertTrue(StaticAssets.matches("*", "\"abc\""))
        XCTAssertFalse(StaticAssets.matches("\"abcd\"", "\"abc\""))
        XCTAssertTrue(DashboardRoutes.wantsHTML("text/html"))
        XCTAssertFalse(DashboardRoutes.wantsHTML("text/html; q=0, */*"))
    }
}
