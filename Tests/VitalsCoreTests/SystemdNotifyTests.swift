import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsCore
@testable import VitalsAPI

/// sd_notify through a fake NOTIFY_SOCKET: a unix datagram socket the test listens on.
final class SystemdNotifyTests: XCTestCase {
    final class FakeNotifySocket {
        let path: String
        let fd: Int32
        init(dir: URL) throws {
            path = dir.appendingPathComponent("notify.sock").path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in path.utf8.enumerated() { p[i] = b } }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard rc == 0 else { throw NSError(domain: "bind", code: Int(errno)) }
        }
        deinit { close(fd) }

        /// The next datagram within `timeoutMs`, or nil.
        func receive(timeoutMs: Int32) -> String? {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, timeoutMs) == 1 else { return nil }
            var buf = [UInt8](repeating: 0, count: 4096)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
        }

        /// Datagrams received within `ms`.
        func collect(ms: Int) -> [String] {
            var out: [String] = []
            let end = Date().addingTimeInterval(Double(ms) / 1000)
            while Date() < end, let m = receive(timeoutMs: Int32(max(1, end.timeIntervalSinceNow * 1000))) { out.append(m) }
            return out
        }
    }

    func testWatchdogPingsOnlyWhileTheSamplerTicks() throws {
        let sock = try FakeNotifySocket(dir: try makeTempDirectory(self))
        let time = ManualTime(wallMs: 1_800_000_000_000)
        let d = try TestDaemon(time: time)
        func tick() { time.advance(ms: 500); d.app.sampler.tick(wallMs: time.wallMs(), monoNs: time.monotonicNs(), withGPU: false) }
        tick()
        d.app.startWatchdog(socketPath: sock.path, periodMs: 200, port: d.port)
        let pings = sock.collect(ms: 350)
        XCTAssertTrue(pings.contains { $0.hasPrefix("WATCHDOG=1\nSTATUS=serving on port \(d.port)") }, "\(pings)")

        time.advance(ms: 5_000)  // no tick for ten intervals: stalled
        let stalled = sock.collect(ms: 450)
        XCTAssertTrue(stalled.contains("STATUS=sampler stalled; no watchdog ping"), "\(stalled)")
        XCTAssertFalse(stalled.dropFirst(stalled.firstIndex(of: "STATUS=sampler stalled; no watchdog ping") ?? 0)
                        .contains { $0.hasPrefix("WATCHDOG=1") }, "no ping once stalled: \(stalled)")

        tick()
        XCTAssertTrue(sock.collect(ms: 350).contains { $0.hasPrefix("WATCHDOG=1") }, "pings resume with the ticks")
    }

    /// The real binary: READY=1 once it serves, then watchdog pings, STOPPING=1 on SIGTERM.
    func testDaemonReportsReadyPingsAndStopping() throws {
        let dir = try makeTempDirectory(self)
        let sock = try FakeNotifySocket(dir: dir)
        let exe = URL(fileURLWithPath: try XCTUnwrap(try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")))
            .deletingLastPathComponent().appendingPathComponent("vitals")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: exe.path), "vitals not built beside the tests")
        let p = Process()
        p.executableURL = exe
        p.arguments = ["--listen", "127.0.0.1:0", "--data-dir", dir.appendingPathComponent("data").path, "--log-level", "error"]
        p.currentDirectoryURL = dir  // no ./config.json there: defaults
        p.environment = ["NOTIFY_SOCKET": sock.path, "WATCHDOG_USEC": "300000", "VITALS_GPU_ENABLED": "false",
                         "VITALS_AUTH_ADMIN_TOKENS": "admin-token-0123456789abcdef"]
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let first = sock.receive(timeoutMs: 10_000)
        XCTAssertTrue(first?.hasPrefix("READY=1") ?? false, "\(String(describing: first))")
        XCTAssertTrue(sock.collect(ms: 500).contains { $0.hasPrefix("WATCHDOG=1") })
        kill(p.processIdentifier, SIGHUP)
        let reload = sock.collect(ms: 1_000).filter { !$0.hasPrefix("WATCHDOG=1") }
        XCTAssertEqual(reload.first, "RELOADING=1", "\(reload)")
        XCTAssertEqual(reload.dropFirst().first, "READY=1", "\(reload)")
        kill(p.processIdentifier, SIGTERM)
        XCTAssertTrue(sock.collect(ms: 3_000).contains { $0.hasPrefix("STOPPING=1") })
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
    }
}
