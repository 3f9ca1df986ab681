import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// The HTTP/1.1 server over real sockets: keep-alive, pipelining, limits, timeouts, CORS.
final class HTTPServerTests: XCTestCase {
    func testKeepAliveServesSeveralRequestsOnOneConnection() throws {
        let d = try TestDaemon()
        let c = try TestHTTPClient(port: d.port)
        for _ in 0..<3 {
            c.send("GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let r = try XCTUnwrap(c.readResponse())
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.headers["content-type"], "application/json")
            XCTAssertEqual(r.headers["cache-control"], "no-store")
            XCTAssertNotNil(r.headers["date"])
            XCTAssertNil(r.headers["connection"])
        }
    }

    func testPipelinedRequestsAnsweredInOrderIncludingWorkerRoutes() throws {
        let d = try TestDaemon()
        let c = try TestHTTPClient(port: d.port)
        // The history route runs on a worker; the stats route inline. Order must hold.
        c.send("GET /api/v1/system/stats/history?range=1m HTTP/1.1\r\nHost: localhost\r\n\r\nGET /nope HTTP/1.1\r\nHost: localhost\r\n\r\nGET /api/v1/system/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let a = try XCTUnwrap(c.readResponse())
        let b = try XCTUnwrap(c.readResponse())
        let h = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(a.status, 200)
        XCTAssertNotNil(try a.json()["series"])
        XCTAssertEqual(b.status, 404)
        XCTAssertEqual(h.status, 200)
        XCTAssertNotNil(try h.json()["score"])
    }

    func testErrorsAreJSONWithStatus() throws {
        let d = try TestDaemon()
        let notFound = try d.get("/missing")
        XCTAssertEqual(notFound.status, 404)
        XCTAssertEqual(try notFound.json()["error"]?["code"]?.stringValue, "not_found")

        let wrongMethod = try TestHTTPClient.request(port: d.port, "DELETE", "/api/v1/system/stats")
        XCTAssertEqual(wrongMethod.status, 405)
        XCTAssertEqual(wrongMethod.headers["allow"], "GET, HEAD, OPTIONS")

        let c = try TestHTTPClient(port: d.port)
        c.send("GARBAGE\r\n\r\n")
        let bad = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(bad.headers["connection"], "close")
        XCTAssertTrue(c.waitForClose())
    }

    func testHeadHasLengthButNoBody() throws {
        let d = try TestDaemon()
        let c = try TestHTTPClient(port: d.port)
        c.send("HEAD /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\nGET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let head = try XCTUnwrap(c.readResponse(head: true))
        XCTAssertEqual(head.status, 200)
        XCTAssertGreaterThan(Int(head.headers["content-length"] ?? "0") ?? 0, 100)
        XCTAssertTrue(head.body.isEmpty)
        let get = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(get.body.count, Int(head.headers["content-length"] ?? "") ?? -1)
    }

    func testBodyAndHeaderLimits() throws {
        let d = try TestDaemon { $0.maxBodyBytes = 2048; $0.maxHeaderBytes = 1024 }
        let c = try TestHTTPClient(port: d.port)
        c.send("POST /api/v1/system/stats/save HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 413)

        let c2 = try TestHTTPClient(port: d.port)
        c2.send("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: \(String(repeating: "y", count: 3000))\r\n\r\n")
        XCTAssertEqual(c2.readResponse()?.status, 431)
    }

    func testSlowHeaderGets408AndIdleKeepAliveIsClosed() throws {
        let d = try TestDaemon { $0.headerTimeoutMs = 300; $0.keepAliveTimeoutMs = 400 }
        let slow = try TestHTTPClient(port: d.port)
        slow.send("GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n")
        let r = try XCTUnwrap(slow.readResponse())
        XCTAssertEqual(r.status, 408)
        XCTAssertTrue(slow.waitForClose())

        let idle = try TestHTTPClient(port: d.port)
        idle.send("GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(idle.readResponse()?.status, 200)
        let started = Date()
        XCTAssertTrue(idle.waitForClose())
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    /// At the cap an idle keep-alive connection makes room for a new client (the longest
    /// idle first); only when every connection is busy is the newcomer refused with 503.
    func testConnectionCapReusesTheLongestIdleConnection() throws {
        let d = try TestDaemon { $0.maxConnections = 16 }
        var held: [TestHTTPClient] = []
        for _ in 0..<16 {
            let c = try TestHTTPClient(port: d.port)
            c.send("GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 200)
            held.append(c)
            Thread.sleep(forTimeInterval: 0.002)  // distinct idle times
        }
        let extra = try TestHTTPClient(port: d.port)
        extra.send("GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(extra.readResponse()?.status, 200, "a newcomer is served at the cap")
        XCTAssertTrue(held[0].waitForClose(), "the longest idle connection made room")
        held[1].send("GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertEqual(held[1].readResponse()?.status, 200, "the others stay open")
    }

    func testConnectionCapRefusesWhenNoConnectionIsIdle() throws {
        let d = try TestDaemon { $0.maxConnections = 8 }
        var held: [TestHTTPClient] = []
        for _ in 0..<8 {
            // Half a request head: busy, not idle.
            let c = try TestHTTPClient(port: d.port)
            c.send("GET /api/v1/system/stats HTTP/1.1\r\n")
            held.append(c)
        }
        Thread.sleep(forTimeInterval: 0.1)
        let extra = try TestHTTPClient(port: d.port)
        XCTAssertEqual(extra.readResponse()?.status, 503)
        held.removeAll()
    }

    /// A connection that never sends a byte is timed by the header timeout, so silent
    /// sockets cannot hold the connection slots for a whole keep-alive period.
    func testSilentNewConnectionGetsTheHeaderTimeout() throws {
        let d = try TestDaemon { $0.headerTimeoutMs = 300; $0.keepAliveTimeoutMs = 60_000 }
        let c = try TestHTTPClient(port: d.port, timeoutMs: 3000)
        let started = Date()
        XCTAssertTrue(c.waitForClose())
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.0)
    }

    func testExpectContinueAndChunkedUpload() throws {
        let d = try TestDaemon()
        let c = try TestHTTPClient(port: d.port)
        c.send("POST /api/v1/system/stats/save HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(TestDaemon.adminToken)\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 100)
        c.send("9\r\n{\"label\":\r\n6\r\n\"demo\"\r\n1\r\n}\r\n0\r\n\r\n")
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(try r.json()["label"]?.stringValue, "demo")
    }

    func testCORSPreflightAndHeaders() throws {
        let d = try TestDaemon { $0.corsOrigins = ["http://dash.example:3000"] }
        let ok = try TestHTTPClient.request(port: d.port, "OPTIONS", "/api/v1/system/stats/save",
                                            headers: ["Origin": "http://dash.example:3000", "Access-Control-Request-Method": "POST"])
        XCTAssertEqual(ok.status, 204)
        XCTAssertEqual(ok.headers["access-control-allow-origin"], "http://dash.example:3000")
        XCTAssertTrue(ok.headers["access-control-allow-headers"]?.contains("Authorization") ?? false)

        let denied = try TestHTTPClient.request(port: d.port, "OPTIONS", "/api/v1/system/stats",
                                                headers: ["Origin": "http://evil.example", "Access-Control-Request-Method": "GET"])
        XCTAssertEqual(denied.status, 403)
        XCTAssertNil(denied.headers["access-control-allow-origin"])

        let get = try d.get("/api/v1/system/stats", headers: ["Origin": "http://dash.example:3000"])
        XCTAssertEqual(get.headers["access-control-allow-origin"], "http://dash.example:3000")
        let other = try d.get("/api/v1/system/stats", headers: ["Origin": "http://evil.example"])
        XCTAssertNil(other.headers["access-control-allow-origin"])

        let plain = try TestHTTPClient.request(port: d.port, "OPTIONS", "/api/v1/system/stats")
        XCTAssertEqual(plain.status, 204)
        XCTAssertEqual(plain.headers["allow"], "GET, HEAD, OPTIONS")
    }

    func testDNSRebindingHostIsRefusedOnLoopback() throws {
        let d = try TestDaemon { $0.allowedHosts = ["vitals.lan"] }
        let c0 = try TestHTTPClient(port: d.port)
        c0.send("GET /api/v1/system/stats HTTP/1.1\r\nHost: evil.example:\(d.port)\r\n\r\n")
        let evil = try XCTUnwrap(c0.readResponse())
        XCTAssertEqual(evil.status, 403)
        XCTAssertEqual(try evil.json()["error"]?["code"]?.stringValue, "host_not_allowed")
        for host in ["localhost:\(d.port)", "127.0.0.1", "[::1]:\(d.port)", "VITALS.lan:80"] {
            let c = try TestHTTPClient(port: d.port)
            c.send("GET /api/v1/system/stats HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 200, host)
        }
    }

    func testHTTP10KeepAliveIsExplicit() throws {
        let d = try TestDaemon()
        let c = try TestHTTPClient(port: d.port)
        c.send("GET /api/v1/system/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.headers["connection"], "keep-alive")
        c.send("GET /api/v1/system/health HTTP/1.0\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.headers["connection"], "close")
        XCTAssertTrue(c.waitForClose())
    }

    /// 3,000 pipelined requests in one write, then read: answers past the output cap must
    /// resume once the output drains, even though no new input arrives to wake the connection.
    func testLongPipelineInOneWriteIsAnsweredCompletely() throws {
        // A cap the kernel's socket buffer can swallow whole, the case that used to stall.
        let d = try TestDaemon { $0.maxConnectionOutputBytes = 16_384 }
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 1_000_000_000, withGPU: false)
        let fd = try connectLoopback(port: d.port, timeoutMs: 3000)
        defer { close(fd) }
        let count = 3000
        sendAll(fd, Array(String(repeating: "GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n", count: count).utf8))
        // Read as fast as the socket gives (a slow reader would hide the stall: the server
        // would then always find its output still queued and resume on EPOLLOUT).
        let status = Array("HTTP/1.1 200 OK\r\n".utf8)
        var answered = 0, carry: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while answered < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            let bytes = carry + chunk[0..<n]
            var i = 0
            while i + status.count <= bytes.count {
                if bytes[i] == status[0] && bytes[i..<(i + status.count)].elementsEqual(status) { answered += 1; i += status.count } else { i += 1 }
            }
            carry = Array(bytes[max(0, bytes.count - status.count + 1)...])
        }
        XCTAssertEqual(answered, count, "the pipeline stalled")
    }

    /// Large answers (the cached /metrics bytes) leave in one sendmsg with the head, without
    /// a copy into the connection's buffer; when the kernel takes only part of them (a client
    /// with a small window that reads late), the rest must follow intact and in order,
    /// between small answers that are buffered as before.
    func testLargeBodiesSentDirectlyArriveWholeAndInOrderThroughPartialWrites() throws {
        let d = try TestDaemon()
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 1_000_000_000, withGPU: false)
        let metrics = try XCTUnwrap(d.app.metrics.bytes(.prometheus))
        XCTAssertGreaterThanOrEqual(metrics.count, HTTPConnection.directBodyBytes, "the test needs a body sent directly")
        let stats = try XCTUnwrap(d.app.sampler.latest.json)
        // What is checked is order and integrity, not speed: under ThreadSanitizer on a busy
        // machine a gap between answers passed the default 5 s read timeout.
        let c = try TestHTTPClient(port: d.port, timeoutMs: SanitizerRun.thread ? 30_000 : 5000, receiveBuffer: 4096)
        let pairs = 400
        c.send(String(repeating: "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
                      + "GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n", count: pairs))
        // Not reading yet: the server's socket buffer fills and its writes come back short.
        Thread.sleep(forTimeInterval: 0.3)
        for i in 0..<pairs {
            let m = try XCTUnwrap(c.readResponse(), "metrics answer \(i)")
            XCTAssertEqual(m.status, 200)
            XCTAssertEqual(m.headers["content-length"], String(metrics.count))
            XCTAssertEqual(m.body, metrics, "metrics answer \(i)")
            let s = try XCTUnwrap(c.readResponse(), "stats answer \(i)")
            XCTAssertEqual(s.status, 200)
            XCTAssertEqual(s.body, stats, "stats answer \(i)")
        }
    }

    /// A client that pipelines without ever reading: the server must stop reading (the
    /// client's sends block) instead of buffering without bound, and drop it once it has
    /// taken nothing for the keep-alive timeout.
    func testPipelinerThatNeverReadsIsBoundedAndDropped() throws {
        try XCTSkipIf(SanitizerRun.thread, SanitizerRun.timingReason)
        let d = try TestDaemon { $0.keepAliveTimeoutMs = 1000 }
        let fd = try connectLoopback(port: d.port, timeoutMs: 5000, receiveBuffer: 4096)
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        let req = Array("GET /api/v1/system/stats HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
        var batch: [UInt8] = []
        for _ in 0..<1000 { batch += req }
        var sent = 0
        let deadline = Date().addingTimeInterval(5)
        var blocked = false
        while Date() < deadline && sent < 512 * 1024 * 1024 {
            let n = batch.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if errno == EAGAIN { blocked = true; usleep(100_000); if Date() > deadline { break }; continue }
            break
        }
        XCTAssertTrue(blocked, "the server kept reading without bound (sent \(sent) bytes)")
        XCTAssertLessThan(sent, 64 * 1024 * 1024)
        // Still never reading: after the keep-alive timeout the server gives up on us.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        Thread.sleep(forTimeInterval: 2.5)
        var buf = [UInt8](repeating: 0, count: 65536)
        var sawEnd = false
        for _ in 0..<2000 {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { sawEnd = true; break }
        }
        XCTAssertTrue(sawEnd, "connection still open")
        XCTAssertEqual(d.app.server?.connectionCount, 0)
    }
}
