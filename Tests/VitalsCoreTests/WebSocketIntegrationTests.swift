import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// The WebSocket layer through the whole daemon, over real loopback sockets.
final class WebSocketIntegrationTests: XCTestCase {
    private func open(_ d: TestDaemon, _ path: String = "/ws", headers: [String: String] = [:],
                      receiveBuffer: Int32? = nil, timeoutMs: Int = 3000) throws -> TestWebSocketClient {
        let c = try TestWebSocketClient(port: d.port, timeoutMs: timeoutMs, receiveBuffer: receiveBuffer)
        let r = try c.handshake(path: path, headers: headers)
        XCTAssertEqual(r.status, 101, "upgrade of \(path)")
        return c
    }

    private func stats(_ d: TestDaemon) throws -> [String: JSONValue] {
        let r = try d.get("/api/v1/ws/stats")
        XCTAssertEqual(r.status, 200)
        return try XCTUnwrap(r.json().objectValue)
    }

    private func tick(_ d: TestDaemon, _ n: Int) {
        d.app.sampler.tick(wallMs: 1_700_000_000_000 + Int64(n) * 500, monoNs: UInt64(n) * 500_000_000, withGPU: false)
    }

    // MARK: handshake

    func testHandshakeSucceedsWithTheRFCAcceptValue() throws {
        let d = try TestDaemon()
        let c = try TestWebSocketClient(port: d.port)
        let r = try c.handshake()
        XCTAssertEqual(r.status, 101)
        XCTAssertEqual(r.headers["upgrade"]?.lowercased(), "websocket")
        XCTAssertEqual(r.headers["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        XCTAssertNil(r.headers["sec-websocket-extensions"], "permessage-deflate is never negotiated")
        c.sendText(#"{"type":"ping"}"#)
        XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "pong")
    }

    func testCompressionOfferIsIgnored() throws {
        let d = try TestDaemon()
        let c = try TestWebSocketClient(port: d.port)
        let r = try c.handshake(headers: ["Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits"])
        XCTAssertEqual(r.status, 101)
        XCTAssertNil(r.headers["sec-websocket-extensions"])
    }

    func testUnsupportedVersionGets426WithOurVersion() throws {
        let d = try TestDaemon()
        let c = try TestWebSocketClient(port: d.port)
        let r = try c.handshake(version: "8")
        XCTAssertEqual(r.status, 426)
        XCTAssertEqual(r.headers["sec-websocket-version"], "13")
    }

    func testUpgradeOverHTTP10IsRefused() throws {
        let d = try TestDaemon()
        let c = try TestHTTPClient(port: d.port)
        c.send("GET /ws HTTP/1.0\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 400)
    }

    func testBadKeyGets400() throws {
        let d = try TestDaemon()
        let c = try TestWebSocketClient(port: d.port)
        XCTAssertEqual(try c.handshake(key: "dG9vIHNob3J0").status, 400) // base64 of 9 bytes
        let missing = try TestHTTPClient.request(port: d.port, "GET", "/ws")
        XCTAssertEqual(missing.status, 400, "a plain GET without Upgrade is refused")
    }

    func testOriginIsCheckedAgainstOwnOriginAndConfiguredOrigins() throws {
        let d = try TestDaemon { $0.corsOrigins = ["https://dash.example"] }
        let foreign = try TestWebSocketClient(port: d.port)
        let r = try foreign.handshake(headers: ["Origin": "https://evil.example"])
        XCTAssertEqual(r.status, 403)
        // Own origin: the request's Host is 127.0.0.1.
        _ = try open(d, headers: ["Origin": "http://127.0.0.1"])
        _ = try open(d, headers: ["Origin": "https://dash.example"])
    }

    func testReadTokenIsRequiredWhereReadsNeedOne() throws {
        let auth = AuthPolicy(adminTokens: [TestDaemon.adminToken], readTokens: [TestDaemon.readToken], readsNeedToken: true)
        let d = try TestDaemon(auth: auth)
        let none = try TestWebSocketClient(port: d.port)
        XCTAssertEqual(try none.handshake().status, 401)
        let wrong = try TestWebSocketClient(port: d.port)
        XCTAssertEqual(try wrong.handshake(path: "/ws?token=nope").status, 401)
        _ = try open(d, "/ws?token=\(TestDaemon.readToken)")
        _ = try open(d, headers: ["Authorization": "Bearer \(TestDaemon.readToken)"])
    }

    // MARK: topics

    func testSubscribeGetsCurrentSnapshotThenTwoTicksAbout500msApart() throws {
        let d = try TestDaemon(samplerThread: true)
        let c = try open(d)
        c.sendText(#"{"type":"subscribe","topics":["system_stats"]}"#)
        let ack = try c.readMessage()
        XCTAssertEqual(ack["type"]?.stringValue, "subscribed")
        XCTAssertEqual(ack["topics"]?.arrayValue?.compactMap(\.stringValue), ["system_stats"])
        let first = try c.readMessage()
        XCTAssertEqual(first["type"]?.stringValue, "event")
        XCTAssertEqual(first["topic"]?.stringValue, "system_stats")
        XCTAssertNotNil(first["data"]?.objectValue?["timestamp"]?.stringValue, "snapshot JSON as data")
        let a = try c.readMessage()
        let aReceived = Date()
        let b = try c.readMessage()
        let bReceived = Date()
        let seqs = [first, a, b].compactMap { $0["seq"]?.intValue }
        guard seqs.count == 3 else { return XCTFail("every message has a seq") }
        XCTAssertEqual(seqs[1], seqs[0] + 1)
        XCTAssertEqual(seqs[2], seqs[1] + 1)
        let ta = try XCTUnwrap(a["ts"]?.intValue), tb = try XCTUnwrap(b["ts"]?.intValue)
        XCTAssertEqual(Double(tb - ta), 500, accuracy: 150, "ticks are 500 ms apart")
        XCTAssertEqual(bReceived.timeIntervalSince(aReceived), 0.5, accuracy: 0.2)
        // The data is the snapshot document itself: its own seq and ts match the envelope's ts.
        XCTAssertEqual(b["data"]?.objectValue?["ts"]?.intValue, tb)
    }

    func testUnsubscribeStopsMessages() throws {
        let d = try TestDaemon()
        let c = try open(d, "/ws?topics=system_stats")
        XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "subscribed")
        XCTAssertEqual(try c.readMessage()["topic"]?.stringValue, "system_stats") // current state
        tick(d, 1)
        let pushed = try c.readMessage()
        XCTAssertEqual(pushed["topic"]?.stringValue, "system_stats")
        c.sendText(#"{"type":"unsubscribe","topics":["system_stats"]}"#)
        let ack = try c.readMessage()
        XCTAssertEqual(ack["type"]?.stringValue, "unsubscribed")
        XCTAssertEqual(ack["topics"]?.arrayValue?.count, 0)
        XCTAssertEqual(try stats(d)["subscribers"]?.objectValue?["system_stats"]?.intValue, 0)
        tick(d, 2)
        tick(d, 3)
        c.sendText(#"{"type":"ping"}"#)
        XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "pong", "no snapshot came before the pong")
    }

    func testTopicsQueryParameterSubscribesAtOnceAndEventsArrive() throws {
        let d = try TestDaemon()
        let c = try open(d, "/ws?topics=system_stats,alerts")
        let ack = try c.readMessage()
        XCTAssertEqual(ack["type"]?.stringValue, "subscribed")
        XCTAssertEqual(Set(ack["topics"]?.arrayValue?.compactMap(\.stringValue) ?? []), ["system_stats", "alerts"])
        XCTAssertEqual(try c.readMessage()["topic"]?.stringValue, "system_stats")
        let seq = d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"rule":"gpu_temp","state":"firing"}"#.utf8))
        let alert = try c.readMessage()
        XCTAssertEqual(alert["type"]?.stringValue, "event")
        XCTAssertEqual(alert["topic"]?.stringValue, "alerts")
        XCTAssertEqual(alert["seq"]?.intValue, Int(seq))
        XCTAssertNotNil(alert["ts"]?.intValue)
        XCTAssertEqual(alert["data"]?.objectValue?["state"]?.stringValue, "firing")

        // A late subscriber gets the last alert as the topic's current state.
        let late = try open(d)
        late.sendText(#"{"type":"subscribe","topics":["alerts"]}"#)
        XCTAssertEqual(try late.readMessage()["type"]?.stringValue, "subscribed")
        XCTAssertEqual(try late.readMessage()["seq"]?.intValue, Int(seq))
        let s = try stats(d)
        XCTAssertEqual(s["open_connections"]?.intValue, 2)
        XCTAssertEqual(s["subscribers"]?.objectValue?["alerts"]?.intValue, 2)
        XCTAssertEqual(s["subscribers"]?.objectValue?["system_stats"]?.intValue, 1)
    }

    func testUnknownTopicAndMalformedMessagesGetErrorsAndKeepTheConnection() throws {
        let d = try TestDaemon()
        let c = try open(d)
        // queue_updates: no jobs here, so no current state is sent after the ack
        // (activity has one from start-up: daemon_started).
        c.sendText(#"{"type":"subscribe","topics":["nope","queue_updates"]}"#)
        let err = try c.readMessage()
        XCTAssertEqual(err["type"]?.stringValue, "error")
        XCTAssertTrue(err["message"]?.stringValue?.contains("nope") == true)
        let ack = try c.readMessage()
        XCTAssertEqual(ack["topics"]?.arrayValue?.compactMap(\.stringValue), ["queue_updates"])
        for bad in ["not json", #"{"topics":[]}"#, #"{"type":"subscribe","topics":"alerts"}"#, #"{"type":"dance"}"#, "[1,2]"] {
            c.sendText(bad)
            XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "error", bad)
        }
        c.send(ClientFrame.make(2, [1, 2, 3]))
        XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "error", "binary message")
        c.sendText(#"{"type":"ping"}"#)
        XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "pong")
    }

    // MARK: protocol and closing

    func testCloseHandshakeEchoesCodeThenServerClosesTCP() throws {
        let d = try TestDaemon()
        let c = try open(d)
        c.send(ClientFrame.close(1000, Array("bye".utf8)))
        let f = try XCTUnwrap(c.readFrame())
        XCTAssertEqual(f.opcode, 8)
        XCTAssertEqual(f.closeCode, 1000)
        XCTAssertTrue(c.waitForEOF())
        Thread.sleep(forTimeInterval: 0.05)
        let s = try stats(d)
        XCTAssertEqual(s["open_connections"]?.intValue, 0)
        XCTAssertEqual(s["closes_by_code"]?.objectValue?["1000"]?.intValue, 1)
    }

    func testUnmaskedClientFrameFailsWith1002() throws {
        let d = try TestDaemon()
        let c = try open(d)
        c.send(ClientFrame.make(1, Array("hi".utf8), masked: false))
        let f = try XCTUnwrap(c.readFrame())
        XCTAssertEqual(f.closeCode, 1002)
        XCTAssertTrue(c.waitForEOF())
    }

    func testEchoEndpointOnlyWhenEnabled() throws {
        let off = try TestDaemon()
        XCTAssertEqual(try TestWebSocketClient(port: off.port).handshake(path: "/ws/echo").status, 404)
        let on = try TestDaemon { $0.wsEchoEndpoint = true }
        let c = try open(on, "/ws/echo")
        c.send(ClientFrame.text("héllo"))
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        c.send(ClientFrame.make(2, big))
        XCTAssertEqual(c.readFrame()?.text, "héllo")
        let echoed = try XCTUnwrap(c.readFrame())
        XCTAssertEqual(echoed.opcode, 2)
        XCTAssertEqual(echoed.payload, big)
    }

    func testHeartbeatClosesAPeerThatNeverAnswersPings() throws {
        let d = try TestDaemon {
            $0.wsPingIntervalMs = 300
            $0.wsPongTimeoutMs = 400
        }
        let silent = try open(d)
        silent.answerPings = false
        let ping = try XCTUnwrap(silent.readFrame())
        XCTAssertEqual(ping.opcode, 9, "an idle connection is pinged")
        let close = try XCTUnwrap(silent.readFrame())
        XCTAssertEqual(close.closeCode, 1001)
        XCTAssertTrue(close.text.contains("ping"), close.text)
        XCTAssertTrue(silent.waitForEOF())
        var s = try stats(d)
        XCTAssertEqual(s["heartbeat_timeouts"]?.intValue, 1)
        XCTAssertEqual(s["closes_by_code"]?.objectValue?["1001"]?.intValue, 1)

        // A peer that answers its pings stays.
        let lively = try open(d)
        XCTAssertNil(lively.idle(seconds: 2), "only pings arrive while idle")
        XCTAssertGreaterThanOrEqual(lively.pingsSeen, 2)
        lively.setTimeout(ms: 3000)
        lively.sendText(#"{"type":"ping"}"#)
        XCTAssertEqual(try lively.readMessage()["type"]?.stringValue, "pong")
        s = try stats(d)
        XCTAssertEqual(s["heartbeat_timeouts"]?.intValue, 1)
    }

    // MARK: backpressure

    /// Big payloads so that a reader with a tiny window falls behind within a few messages.
    private static func bigPayload(_ i: Int) -> [UInt8] {
        Array(#"{"i":\#(i),"pad":""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 128 * 1024) + Array(#""}"#.utf8)
    }

    func testStalledReaderIsConflatedWhileAnotherKeepsReceivingOnTime() throws {
        try XCTSkipIf(SanitizerRun.thread, SanitizerRun.timingReason)
        let d = try TestDaemon(samplerThread: true)
        let stalled = try open(d, "/ws?topics=system_stats", receiveBuffer: 4096)
        let reader = try open(d, "/ws?topics=system_stats")
        XCTAssertEqual(try reader.readMessage()["type"]?.stringValue, "subscribed")
        var lastSeq = try XCTUnwrap(reader.readMessage()["seq"]?.intValue)
        let hub = d.app.hub
        let statsTopic = d.app.topics.systemStats
        let count = 80
        let publisher = Thread {
            for i in 0..<count {
                hub.publish(statsTopic, data: Self.bigPayload(i))
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        publisher.start()
        var received = 0, big = 0
        var worstDelayMs: Int64 = 0
        let deadline = Date().addingTimeInterval(10)
        while big < count && Date() < deadline {
            let m = try reader.readMessage()
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let seq = try XCTUnwrap(m["seq"]?.intValue)
            XCTAssertEqual(seq, lastSeq + 1, "a reading client skips nothing")
            lastSeq = seq
            worstDelayMs = max(worstDelayMs, now - (m["ts"]?.intValue.map(Int64.init) ?? now))
            received += 1
            if m["data"]?.objectValue?["pad"] != nil { big += 1 }
        }
        XCTAssertEqual(big, count, "every message reached the reading client")
        XCTAssertLessThan(worstDelayMs, 250, "the stalled client never delays the other one")
        let s = try stats(d)
        XCTAssertGreaterThan(s["conflated_snapshots"]?.intValue ?? 0, 0, "the stalled client got only the newest snapshots")
        XCTAssertEqual(s["open_connections"]?.intValue, 2, "a slow snapshot reader is conflated, not dropped")
        _ = stalled
    }

    func testEventQueueOverflowClosesWith1008() throws {
        let d = try TestDaemon { $0.wsMaxQueuedEvents = 4 }
        let stalled = try open(d, "/ws?topics=alerts", receiveBuffer: 4096)
        let reader = try open(d, "/ws?topics=alerts")
        XCTAssertEqual(try reader.readMessage()["type"]?.stringValue, "subscribed")
        var overflowed = false
        for i in 0..<200 {
            d.app.hub.publish(d.app.topics.alerts, data: Self.bigPayload(i))
            XCTAssertEqual(try reader.readMessage()["data"]?.objectValue?["i"]?.intValue, i)
            if try stats(d)["event_queue_overflows"]?.intValue == 1 { overflowed = true; break }
        }
        XCTAssertTrue(overflowed, "a client that never reads its events is closed")
        let s = try stats(d)
        XCTAssertEqual(s["closes_by_code"]?.objectValue?["1008"]?.intValue, 1)
        XCTAssertEqual(s["subscribers"]?.objectValue?["alerts"]?.intValue, 1)
        _ = stalled
    }

    /// Past a threshold of subscribers the frame is written from several threads: every
    /// client still gets every event whole and in order, and a stalled one (whose sends
    /// are partial and queued back on its loop) does not corrupt anyone's stream.
    func testParallelFanoutDeliversEveryEventWholeAndInOrder() throws {
        try XCTSkipIf(SanitizerRun.thread, SanitizerRun.timingReason)
        let d = try TestDaemon { $0.wsMaxQueuedEvents = 1000; $0.wsMaxMessageBytes = 8 << 20 }
        d.app.hub.parallelThreshold.store(2, ordering: .relaxed)
        let stalled = try open(d, "/ws?topics=alerts", receiveBuffer: 4096, timeoutMs: 15_000)
        XCTAssertEqual(try stalled.readMessage()["type"]?.stringValue, "subscribed")
        var clients: [TestWebSocketClient] = []
        for _ in 0..<6 {
            let c = try open(d, "/ws?topics=alerts", timeoutMs: 15_000)
            XCTAssertEqual(try c.readMessage()["type"]?.stringValue, "subscribed")
            clients.append(c)
        }
        // The first payload is larger than any socket's send buffer, so the parallel
        // sends are partial and their rest must be queued on the connection's loop.
        let sizes = [6_000_000, 20_000, 30_000, 40_000]
        for (i, size) in sizes.enumerated() {
            let pad = String(repeating: "y", count: size)
            d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"i":\#(i),"pad":"\#(pad)"}"#.utf8))
        }
        for c in clients + [stalled] {
            for (i, size) in sizes.enumerated() {
                let m = try c.readMessage()
                XCTAssertEqual(m["data"]?.objectValue?["i"]?.intValue, i)
                XCTAssertEqual(m["data"]?.objectValue?["pad"]?.stringValue?.count, size)
            }
        }
        let fanout = try XCTUnwrap(try stats(d)["fanout"]?.objectValue)
        XCTAssertGreaterThanOrEqual(fanout["count"]?.intValue ?? 0, 1)
    }

    /// Events published while the loop is busy reach it as one batch: one fan-out per run
    /// of a topic (one send per subscriber), every event still delivered whole, in publish
    /// order across topics, and a subscriber that joined in the middle gets each event once.
    func testEventsPublishedTogetherGoOutAsOneWritePerRunInOrder() throws {
        let d = try TestDaemon { $0.wsMaxQueuedEvents = 1000 }
        // Each topic's current state (the daemon's own "started" activity) comes first.
        func current(_ topics: [WebSocketTopic]) -> Int { topics.filter { d.app.hub.current($0) != nil }.count }
        let both = try open(d, "/ws?topics=alerts,activity")
        XCTAssertEqual(try both.readMessage()["type"]?.stringValue, "subscribed")
        for _ in 0..<current([d.app.topics.alerts, d.app.topics.activity]) { _ = try both.readMessage() }
        let alertsOnly = try open(d, "/ws?topics=alerts")
        XCTAssertEqual(try alertsOnly.readMessage()["type"]?.stringValue, "subscribed")
        for _ in 0..<current([d.app.topics.alerts]) { _ = try alertsOnly.readMessage() }
        let loop = try XCTUnwrap(d.app.server?.loops.first)
        let before = try stats(d)["fanout"]?.objectValue?["count"]?.intValue ?? 0

        // Hold the loop, publish 40 alerts, 1 activity event, 10 alerts, then let it go.
        let held = DispatchSemaphore(value: 0), holding = DispatchSemaphore(value: 0)
        loop.execute { holding.signal(); held.wait() }
        holding.wait()
        for i in 0..<40 { d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"i":\#(i)}"#.utf8)) }
        d.app.hub.publish(d.app.topics.activity, data: Array(#"{"i":40}"#.utf8))
        for i in 41..<51 { d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"i":\#(i)}"#.utf8)) }
        held.signal()

        for i in 0..<51 {
            let m = try both.readMessage()
            XCTAssertEqual(m["topic"]?.stringValue, i == 40 ? "activity" : "alerts")
            XCTAssertEqual(m["data"]?.objectValue?["i"]?.intValue, i)
        }
        for i in 0..<51 where i != 40 {
            XCTAssertEqual(try alertsOnly.readMessage()["data"]?.objectValue?["i"]?.intValue, i)
        }
        let s = try stats(d)
        // Three runs (alerts, activity, alerts) for 51 events: the loop fanned out 3 times.
        XCTAssertEqual((s["fanout"]?.objectValue?["count"]?.intValue ?? 0) - before, 3)

        // A late subscriber is sent the current state, then only what is newer.
        loop.execute { holding.signal(); held.wait() }
        holding.wait()
        for i in 51..<54 { d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"i":\#(i)}"#.utf8)) }
        held.signal()
        let late = try open(d, "/ws?topics=alerts")
        XCTAssertEqual(try late.readMessage()["type"]?.stringValue, "subscribed")
        XCTAssertEqual(try late.readMessage()["data"]?.objectValue?["i"]?.intValue, 53)
        d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"i":54}"#.utf8))
        XCTAssertEqual(try late.readMessage()["data"]?.objectValue?["i"]?.intValue, 54)

        // A dense burst is batched by time as well: 2,000 events published as fast as
        // possible arrive whole and in order, in far fewer fan-outs than events.
        let burstStart = try stats(d)["fanout"]?.objectValue?["count"]?.intValue ?? 0
        for i in 55..<2055 { d.app.hub.publish(d.app.topics.alerts, data: Array(#"{"i":\#(i)}"#.utf8)) }
        for i in 55..<2055 { XCTAssertEqual(try late.readMessage()["data"]?.objectValue?["i"]?.intValue, i) }
        let burstFanouts = (try stats(d)["fanout"]?.objectValue?["count"]?.intValue ?? 0) - burstStart
        XCTAssertLessThan(burstFanouts, 400, "2,000 events in \(burstFanouts) fan-outs")
    }
}
