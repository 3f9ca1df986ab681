import Foundation
import Glibc
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Clients that pipeline requests and never read: each connection is bounded on its own,
/// and all of them together by `limits.max_total_output_bytes`, which health reports.
final class OutputBoundTests: XCTestCase {
    /// Answered inline from bytes built once, so the clients' requests are answered faster
    /// than the kernel's socket buffers (up to 4 MB each) can hide them.
    static let bigAnswer = "/api/v1/openapi.json"

    func testNonReadingClientsAreBoundedInTotal() throws {
        // Filling the budget within the settle window is a race against the clock.
        try XCTSkipIf(SanitizerRun.thread, SanitizerRun.timingReason)
        let limit = 1 << 20
        let d = try TestDaemon(configure: { $0.maxTotalOutputBytes = limit })
        let answer = try d.get(Self.bigAnswer)
        XCTAssertEqual(answer.status, 200)
        XCTAssertGreaterThan(answer.body.count, 20_000, "each answer is over 20 KB: \(answer.text.prefix(400))")

        // Eight clients, 300 pipelined requests each (~10 MB asked per client, more than the kernel buffers), small
        // receive windows, never reading. With only the 4 MiB per-connection bound they
        // held ~30 MB between them.
        let request = Array("GET \(Self.bigAnswer) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        var fds: [Int32] = []
        defer { for fd in fds { close(fd) } }
        for _ in 0..<8 {
            let fd = try connectLoopback(port: d.port, timeoutMs: 5000, receiveBuffer: 4096)
            sendAll(fd, Array([[UInt8]](repeating: request, count: 300).joined()))
            fds.append(fd)
        }
        let used = settle { d.app.outputBudget.usedBytes }
        XCTAssertGreaterThanOrEqual(used, limit * 4 / 5, "the clients filled the budget")
        XCTAssertLessThanOrEqual(used, limit + 8 * answer.body.count, "past the bound each client holds at most one answer")

        // A client that reads is still served, and health says why memory is held.
        let health = try d.get("/api/v1/system/health").json()
        let pressure = health["components"]?["connections"]?["status"]?.stringValue
        XCTAssertTrue(pressure == "exhausted" || pressure == "pressure", "\(health)")
        XCTAssertEqual(health["components"]?["connections"]?["max_output_bytes"]?.intValue, limit)
        XCTAssertNotEqual(health["status"]?.stringValue, "ok")
        XCTAssertTrue(health["warnings"]?.arrayValue?.contains { $0["component"]?.stringValue == "connections" } ?? false)
        XCTAssertEqual(try d.get(Self.bigAnswer).status, 200)

        // Gone clients give everything back.
        for fd in fds { close(fd) }
        fds = []
        XCTAssertEqual(settle { d.app.outputBudget.usedBytes }, 0)
        let after = try d.get("/api/v1/system/health").json()
        XCTAssertEqual(after["components"]?["connections"]?["status"]?.stringValue, "ok")
        XCTAssertEqual(after["components"]?["connections"]?["output_bytes"]?.intValue, 0)
    }

    /// Connections hold no output buffer while idle: answers and frames leave from their
    /// own bytes, and what a client's backlog needed is given back in the next sweep once
    /// it drains. Kept, 1,000 idle WebSocket clients held 4 MB from their handshakes, and
    /// each one that fell behind once held 4-8 KB more for good: the soak's slow climb.
    func testConnectionBuffersAreGivenBackOnceDrained() throws {
        try XCTSkipIf(SanitizerRun.thread, SanitizerRun.timingReason)
        let d = try TestDaemon()
        let server = try XCTUnwrap(d.app.server)
        var idle: [TestWebSocketClient] = []
        for _ in 0..<8 {
            let c = try TestWebSocketClient(port: d.port)
            XCTAssertEqual(try c.handshake(path: "/ws?topics=alerts").status, 101)
            XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "subscribed")
            idle.append(c)
        }
        // The figure is taken at each sweep (twice a second), hence the wait.
        XCTAssertEqual(waitFor(0) { server.connectionBufferBytes }, 0, "eight idle WebSocket clients hold no buffers")

        // A client with a 4 KB window falls behind on 128 KB events; the others read them.
        let stalled = try TestWebSocketClient(port: d.port, timeoutMs: 10_000, receiveBuffer: 4096)
        XCTAssertEqual(try stalled.handshake(path: "/ws?topics=alerts").status, 101)
        var published = 0, peak = 0
        let deadline = Date().addingTimeInterval(5)
        while peak < 64 * 1024 && published < 40 && Date() < deadline {
            let pad = [UInt8](repeating: UInt8(ascii: "x"), count: 128 * 1024)
            d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"i":\#(published),"pad":""#.utf8) + pad + Array(#""}"#.utf8))
            published += 1
            for c in idle { XCTAssertEqual(try c.readMessage()["data"]?["i"]?.intValue, published - 1) }
            usleep(100_000)
            peak = max(peak, server.connectionBufferBytes)
        }
        XCTAssertGreaterThanOrEqual(peak, 64 * 1024, "the stalled client's backlog was buffered (\(published) events)")

        // It reads everything: its buffer goes back.
        XCTAssertEqual(try stalled.readMessage()["type"]?.stringValue, "subscribed")
        for i in 0..<published { XCTAssertEqual(try stalled.readMessage()["data"]?["i"]?.intValue, i) }
        XCTAssertEqual(waitFor(0) { server.connectionBufferBytes }, 0, "a drained backlog holds nothing")
        let health = try d.get("/api/v1/system/health").json()
        XCTAssertNotNil(health["components"]?["connections"]?["buffer_bytes"]?.intValue, "\(health)")
        XCTAssertGreaterThan(health["components"]?["database"]?["memory_bytes"]?.intValue ?? 0, 0, "\(health)")
    }

    /// `read()` once it equals `expected`, or its last value after 3 s.
    private func waitFor(_ expected: Int, _ read: () -> Int) -> Int {
        let end = Date().addingTimeInterval(3)
        var v = read()
        while v != expected && Date() < end { usleep(50_000); v = read() }
        return v
    }

    /// The value once it stops changing for 300 ms (at most 5 s).
    private func settle(_ read: () -> Int) -> Int {
        var last = read(), stableSince = Date()
        let end = Date().addingTimeInterval(5)
        while Date() < end {
            usleep(50_000)
            let v = read()
            if v != last { last = v; stableSince = Date() } else if Date().timeIntervalSince(stableSince) > 0.3 { break }
        }
        return last
    }

    /// After a burst of owed output drains, the freed heap is handed back once (malloc_trim),
    /// not on every sweep, and not for small amounts.
    func testMemoryIsHandedBackOnceAfterABurstDrains() {
        let b = OutputBudget(limitBytes: 64 << 20)
        b.add(1 << 20)
        b.add(-(1 << 20))
        XCTAssertFalse(b.takeMemoryToReturn(), "1 MiB is not a burst worth a trim")
        b.add(20 << 20)
        XCTAssertFalse(b.takeMemoryToReturn(), "still owed")
        b.add(-(18 << 20))
        XCTAssertTrue(b.takeMemoryToReturn(), "drained to a tenth of the peak")
        XCTAssertFalse(b.takeMemoryToReturn(), "once per burst")
        b.add(-(2 << 20))
        XCTAssertEqual(b.usedBytes, 0)
    }
}
