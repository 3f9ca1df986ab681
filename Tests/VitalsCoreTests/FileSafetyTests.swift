import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsCore
@testable import VitalsAPI

/// Nothing the daemon writes follows a link into someone else's file, and what it stores
/// comes back byte for byte.
final class FileSafetyTests: XCTestCase {
    private func tempDir() throws -> String {
        let dir = try makeTempDirectory(self)
        return dir.path
    }

    private func config(_ dataDir: String) -> VitalsConfig {
        var c = VitalsConfig()
        c.port = 0
        c.dataDir = dataDir
        c.gpuEnabled = false
        c.logLevel = .error
        return c
    }

    func testSymlinkedTokenFileIsRefusedAndItsTargetUntouched() throws {
        let dir = try tempDir()
        let victim = dir + "/victim"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        chmod(victim, 0o644)
        let data = dir + "/data"
        mkdir(data, 0o700)
        symlink(victim, data + "/admin.token")
        XCTAssertThrowsError(try VitalsApp(config: config(data))) { error in
            XCTAssertTrue("\(error)".contains("symbolic link"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
        var st = stat()
        XCTAssertEqual(stat(victim, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o644, "the target's mode is not changed either")
    }

    func testGeneratedTokenFileAndDataDirectoryArePrivate() throws {
        let data = try tempDir() + "/fresh/data"
        let app = try VitalsApp(config: config(data))
        defer { app.stop() }
        var st = stat()
        XCTAssertEqual(stat(data, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
        XCTAssertEqual(stat(data + "/admin.token", &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
    }

    func testSymlinkedDatabaseIsNotOpened() throws {
        let dir = try tempDir()
        let victim = dir + "/victim.db"
        try "not a database\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let data = dir + "/data"
        mkdir(data, 0o700)
        symlink(victim, data + "/vitals.db")
        var c = config(data)
        c.adminTokens = ["admin-token-0123456789abcdef"]
        let app = try VitalsApp(config: c)
        defer { app.stop() }
        XCTAssertNotNil(app.storeOpenError ?? (app.store?.health.writable == false ? "" : nil),
                        "a symlinked database must not be used")
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "not a database\n")
    }

    func testLabelWithNULIsStoredWhole() throws {
        let d = try TestDaemon()
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 1_000_000_000, withGPU: false)
        let saved = try d.post("/api/v1/system/stats/save", body: #"{"label":"a\u0000b"}"#)
        XCTAssertEqual(saved.status, 201, saved.text)
        XCTAssertEqual(try d.app.store?.savedSnapshots().map(\.label), ["a\u{0}b"])
        let list = try d.get("/api/v1/system/stats/saved").json()
        XCTAssertEqual(list["saved"]?.arrayValue?.first?["label"]?.stringValue, "a\u{0}b")
    }
}
