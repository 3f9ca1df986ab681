import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// A whole app's router without sockets: handlers run in the test, so tables of bad input
/// take milliseconds. Suites of route tests inherit from it.
class RouterTestCase: XCTestCase {
    var dir: TempDir!
    var app: VitalsApp!
    var router: Router!

    override func setUpWithError() throws {
        dir = TempDir()
        var c = VitalsConfig()
        c.dataDir = dir.path
        c.adminTokens = [TestDaemon.adminToken]
        c.gpuEnabled = false
        c.wsEchoEndpoint = true
        app = try VitalsApp(config: c, procRoot: ProcFixtures.path("proc-basic"), sysRoot: ProcFixtures.path("sys-basic"))
        app.sampler.tick(wallMs: app.time.wallMs(), monoNs: app.time.monotonicNs(), withGPU: false)
        router = app.makeRouter()
    }

    override func tearDown() { app.store?.close() }

    /// Routes a request the way HTTPServer does after auth, and runs its handler here.
    func send(_ method: String, _ target: String, body: String = "") -> HTTPResponse {
        let parts = target.split(separator: "?", maxSplits: 1)
        var req = HTTPRequest(method: method, path: String(parts[0]), rawQuery: parts.count > 1 ? String(parts[1]) : "",
                              headers: [("host", "localhost")], body: Array(body.utf8))
        guard case .found(let route, let params) = router.match(method: method, path: req.path) else {
            return .error(404, .notFound, "no route")
        }
        req.pathParams = params
        switch route.action {
        case .inline(let h), .worker(let h): return h(req)
        case .upgrade(let h):
            if case .reject(let r) = h(req) { return r }
            return HTTPResponse(status: 101)
        }
    }

    func json(_ r: HTTPResponse) throws -> JSONValue { try JSONValue.parse(r.body) }
}
