import Foundation
import Glibc
import XCTest
@testable import VitalsSupport

/// The real executable: signals, shutdown, the data directory lock and the WAL index.
final class DaemonProcessTests: XCTestCase {
    /// SIGHUP, SIGUSR1, SIGUSR2 and SIGALRM once killed the daemon (their default action)
    /// without a log line or a history flush.
    func testStraySignalsAreLoggedNotFatal() throws {
        let dir = TempDir()
        let d = try DaemonProcess(dataDir: dir.path)
        d.signal(SIGHUP)
        XCTAssertTrue(d.waitForLog("config reloaded changed=nothing"), d.log)
        for (s, name) in [(SIGUSR1, "SIGUSR1"), (SIGUSR2, "SIGUSR2"), (SIGALRM, "SIGALRM")] {
            d.signal(s)
            XCTAssertTrue(d.waitForLog("signal ignored signal=\(name)"), d.log)
        }
        XCTAssertEqual(try d.get("/api/v1/system/health").status, 200, "still serving after the signals")
        d.signal(SIGTERM)
        XCTAssertEqual(d.waitForExit(seconds: 10), 0, d.log)
        XCTAssertTrue(d.log.contains("stopping signal=SIGTERM"), d.log)
        XCTAssertTrue(d.log.contains("stopped; history flushed"), d.log)
    }

    /// SIGHUP loads the config again: new tokens apply at once, a change that needs a
    /// restart is named, and an invalid file leaves the running config in place.
    func testSIGHUPReloadsTokensAndKeepsTheOldConfigWhenInvalid() throws {
        let dir = TempDir()
        let first = "first-admin-token-0123456789", second = "second-admin-token-0123456789"
        let d = try DaemonProcess(dataDir: dir.path, config: #"{"auth": {"admin_tokens": ["\#(first)"]}}"#)
        func save(_ token: String) throws -> Int {
            try TestHTTPClient.request(port: d.port, "POST", "/api/v1/system/stats/save",
                                       headers: ["Authorization": "Bearer \(token)"]).status
        }
        XCTAssertEqual(try save(first), 201)

        try d.writeConfig(#"{"auth": {"admin_tokens": ["\#(second)"]}, "sampling": {"interval_ms": 1000}}"#)
        d.signal(SIGHUP)
        XCTAssertTrue(d.waitForLog("config reloaded changed=auth.admin_tokens"), d.log)
        XCTAssertTrue(d.waitForLog("need a restart were not applied keys=sampling.interval_ms"), d.log)
        XCTAssertEqual(try save(second), 201, "the new token works at once")
        XCTAssertEqual(try save(first), 401, "the old one is gone")

        try d.writeConfig(#"{"auth": {"admin_tokens": ["short"]}}"#)
        d.signal(SIGHUP)
        XCTAssertTrue(d.waitForLog("config reload failed; keeping the running config"), d.log)
        XCTAssertEqual(try save(second), 201, "still the last good config")
        d.signal(SIGTERM)
        XCTAssertEqual(d.waitForExit(seconds: 10), 0, d.log)
    }

    /// SIGTERM and SIGINT say goodbye to WebSocket clients with 1001 (going away), not a bare
    /// TCP close that looks like a crash (1006).
    func testStopClosesWebSocketClientsWithGoingAway() throws {
        for (s, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            let dir = TempDir()
            let d = try DaemonProcess(dataDir: dir.path)
            let ws = try TestWebSocketClient(port: d.port, timeoutMs: 5000)
            XCTAssertEqual(try ws.handshake().status, 101)
            ws.sendText(#"{"type":"subscribe","topics":["system_stats"]}"#)
            d.signal(s)
            var closeCode: UInt16?
            while let f = ws.readFrame() {
                if f.opcode == 8 { closeCode = f.closeCode; break }
            }
            XCTAssertEqual(closeCode, 1001, "close code on \(name)")
            XCTAssertEqual(d.waitForExit(seconds: 10), 0, d.log)
        }
    }

    /// Two daemons on one data directory once both wrote the same history file.
    func testSecondDaemonOnSameDataDirectoryIsRefused() throws {
        let dir = TempDir()
        let first = try DaemonProcess(dataDir: dir.path)
        let second = try DaemonProcess(dataDir: dir.path, waitUntilServing: false)
        let status = second.waitForExit(seconds: 15)
        XCTAssertNotNil(status, "the second daemon must not keep running: \(second.log)")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(second.log.contains("another vitals is using \(dir.path)/vitals.db"), second.log)
        XCTAssertEqual(try first.get("/api/v1/system/health").status, 200, "the first one carries on")
    }

    /// With the default VFS the WAL index is a mapped `-shm` file, and a write the file
    /// system refuses there (immutable file, read-only remount; here: the file truncated
    /// under the mapping) is a SIGBUS that kills the process. The index now lives in heap
    /// memory: there is no such file, and the daemon keeps writing history.
    func testWALIndexIsNotASharedMappedFile() throws {
        let dir = TempDir()
        let d = try DaemonProcess(dataDir: dir.path)
        let shm = dir.path + "/vitals.db-shm"
        XCTAssertTrue(waitUntil(seconds: 5) { (try? d.get("/api/v1/system/health").json()["components"]?["database"]?["last_flush_ts"]?.intValue) != nil })
        XCTAssertFalse(FileManager.default.fileExists(atPath: shm), "the WAL index must not be a shared file")
        // What a failing file system does to a mapped index: the pages behind it vanish.
        if FileManager.default.fileExists(atPath: shm) { XCTAssertEqual(truncate(shm, 0), 0) }
        usleep(2_500_000)  // two history flushes, each writing the WAL index
        XCTAssertNil(d.waitForExit(seconds: 0.1), "the daemon died: \(d.log)")
        let health = try d.get("/api/v1/system/health").json()
        XCTAssertEqual(health["components"]?["database"]?["status"]?.stringValue, "ok")
        d.signal(SIGTERM)
        XCTAssertEqual(d.waitForExit(seconds: 10), 0, d.log)
    }

    private func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(50_000)
        }
        return false
    }
}
