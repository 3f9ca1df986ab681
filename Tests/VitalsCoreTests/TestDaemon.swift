import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// A whole Vitals on an ephemeral 127.0.0.1 port, reading fixture /proc and /sys trees,
/// with a temp data directory. Ticks are driven by the test (no sampler thread) unless asked.
final class TestDaemon {
    let dir = TempDir()
    let app: VitalsApp
    let port: Int
    var config: VitalsConfig
    static let adminToken = "admin-token-0123456789abcdef"
    static let readToken = "read-token-0123456789abcdef"

    init(procRoot: String = ProcFixtures.path("proc-basic"), sysRoot: String = ProcFixtures.path("sys-basic"),
         dataDir: String? = nil, samplerThread: Bool = false, auth: AuthPolicy? = nil,
         time: any TimeSource = SystemTime(), configure: (inout VitalsConfig) -> Void = { _ in },
         statfs: @escaping (String) -> FilesystemStat? = HostSampler.systemStatfs) throws {
        var c = VitalsConfig()
        c.port = 0
        c.dataDir = dataDir ?? dir.path
        c.adminTokens = [Self.adminToken]
        c.readTokens = [Self.readToken]
        c.gpuEnabled = false
        c.logLevel = .error
        configure(&c)
        config = c
        Log.setLevel(c.logLevel)
        app = try VitalsApp(config: c, procRoot: procRoot, sysRoot: sysRoot, time: time, auth: auth, statfs: statfs)
        port = try app.start(samplerThread: samplerThread)
    }

    deinit { app.stop() }

    func get(_ path: String, headers: [String: String] = [:]) throws -> TestHTTPClient.Response {
        try TestHTTPClient.request(port: port, "GET", path, headers: headers)
    }

    func post(_ path: String, body: String? = nil, token: String? = TestDaemon.adminToken) throws -> TestHTTPClient.Response {
        var h: [String: String] = [:]
        if let token { h["Authorization"] = "Bearer \(token)" }
        return try TestHTTPClient.request(port: port, "POST", path, headers: h, body: body)
    }
}
