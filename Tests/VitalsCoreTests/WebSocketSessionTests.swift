import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class WebSocketSessionTests: XCTestCase {
    private func session(max: Int = 1 << 20, timeout: Int64 = 1000) -> WebSocketSession {
        WebSocketSession(maxMessageBytes: max, closeTimeoutMs: timeout)
    }

    /// Takes what the session wants to send and decodes it.
    private func drain(_ s: WebSocketSession) -> [(WebSocketFrameHeader, [UInt8])] {
        let bytes = s.outbound
        s.outbound.removeAll(keepingCapacity: true)
        return decodeServerFrames(bytes)
    }

    private func closeCode(_ frame: (WebSocketFrameHeader, [UInt8])?) -> UInt16? {
        guard let frame, frame.0.opcode == .close, frame.1.count >= 2 else { return nil }
        return UInt16(frame.1[0]) << 8 | UInt16(frame.1[1])
    }

    /// Feeds bytes and expects the connection to be failed with `code`.
    private func assertFails(_ bytes: [UInt8], with code: UInt16, file: StaticString = #filePath, line: UInt = #line) {
        let s = session()
        let events = s.receive(bytes, nowMs: 0)
        guard case .closed(let c, _)? = events.last else {
            return XCTFail("no close event in \(events)", file: file, line: line)
        }
        XCTAssertEqual(c, code, file: file, line: line)
        let frames = drain(s)
        XCTAssertEqual(frames.count, 1, file: file, line: line)
        XCTAssertEqual(closeCode(frames.first), code, file: file, line: line)
        XCTAssertTrue(s.shouldCloseTCP, file: file, line: line)
        XCTAssertEqual(s.state, .closed, file: file, line: line)
        XCTAssertEqual(s.receive(ClientFrame.make(9, [1]), nowMs: 0), [], "nothing after a failure", file: file, line: line)
        XCTAssertTrue(s.outbound.isEmpty, file: file, line: line)
        XCTAssertFalse(s.sendText(Array("late".utf8)), file: file, line: line)
        XCTAssertTrue(s.outbound.isEmpty, file: file, line: line)
    }

    // MARK: Data

    func testTextAndBinaryMessages() {
        let s = session()
        XCTAssertEqual(s.receive(ClientFrame.text("Hello"), nowMs: 0), [.text(Array("Hello".utf8))])
        XCTAssertEqual(s.receive(ClientFrame.make(2, [0, 0xFF]), nowMs: 0), [.binary([0, 0xFF])])
        XCTAssertEqual(s.receive(ClientFrame.text(""), nowMs: 0), [.text([])])
        XCTAssertTrue(s.outbound.isEmpty)
        XCTAssertEqual(s.state, .open)
        XCTAssertFalse(s.shouldCloseTCP)
    }

    func testEveryLengthFormAsAMessage() {
        let s = session()
        for n in [0, 125, 126, 65535, 65536] {
            let payload = [UInt8](repeating: 0x2A, count: n)
            XCTAssertEqual(s.receive(ClientFrame.make(1, payload), nowMs: 0), [.text(payload)], "length \(n)")
        }
    }

    func testFragmentedMessageWithInterleavedPing() {
        let s = session()
        XCTAssertEqual(s.receive(ClientFrame.text("frag1", fin: false), nowMs: 0), [])
        XCTAssertEqual(s.receive(ClientFrame.make(9, Array("ping!".utf8)), nowMs: 0), [])
        let pongs = drain(s)
        XCTAssertEqual(pongs.count, 1)
        XCTAssertEqual(pongs.first?.0.opcode, .pong)
        XCTAssertEqual(pongs.first?.1, Array("ping!".utf8))
        XCTAssertEqual(s.receive(ClientFrame.make(0, Array("frag2".utf8), fin: false), nowMs: 0), [])
        XCTAssertEqual(s.receive(ClientFrame.make(0, Array("frag3".utf8)), nowMs: 0), [.text(Array("frag1frag2frag3".utf8))])
        // And the next message starts fresh.
        XCTAssertEqual(s.receive(ClientFrame.make(2, [7], fin: false) + ClientFrame.make(0, [8]), nowMs: 0), [.binary([7, 8])])
    }

    func testOneByteAtATime() {
        let s = session()
        let stream = ClientFrame.text("Hel", fin: false) + ClientFrame.make(9, [1, 2, 3])
            + ClientFrame.make(0, Array("lo κόσμε".utf8)) + ClientFrame.make(2, [UInt8](repeating: 9, count: 300))
            + ClientFrame.make(10, [4])
        var events: [WebSocketEvent] = []
        for b in stream { events += s.receive([b], nowMs: 0) }
        XCTAssertEqual(events, [.text(Array("Hello κόσμε".utf8)), .binary([UInt8](repeating: 9, count: 300)), .pong([4])])
        let out = drain(s)
        XCTAssertEqual(out.count, 1)
        XCTAssertEqual(out.first?.0.opcode, .pong)
        XCTAssertEqual(out.first?.1, [1, 2, 3])
    }

    func testPingIsAnsweredWithSamePayloadAndPongsAreReported() {
        let s = session()
        let payload = [UInt8](repeating: 0xFE, count: 125)
        XCTAssertEqual(s.receive(ClientFrame.make(9, payload), nowMs: 0), [])
        let out = drain(s)
        XCTAssertEqual(out.map(\.0.opcode), [.pong])
        XCTAssertEqual(out.first?.1, payload)
        XCTAssertEqual(s.receive(ClientFrame.make(10, Array("unsolicited".utf8)), nowMs: 0), [.pong(Array("unsolicited".utf8))])
        XCTAssertTrue(drain(s).isEmpty, "a pong is never answered")
    }

    // MARK: Framing errors

    func testContinuationWithoutMessageIs1002() {
        assertFails(ClientFrame.make(0, Array("x".utf8)), with: 1002)
        assertFails(ClientFrame.make(0, Array("x".utf8), fin: false), with: 1002)
    }

    func testNewDataFrameDuringFragmentedMessageIs1002() {
        assertFails(ClientFrame.text("a", fin: false) + ClientFrame.text("b"), with: 1002)
        assertFails(ClientFrame.text("a", fin: false) + ClientFrame.make(2, [1]), with: 1002)
    }

    func testFrameRuleViolationsFailTheConnection() {
        assertFails(ClientFrame.make(1, Array("hi".utf8), masked: false), with: 1002)
        assertFails(ClientFrame.make(1, [0x41], rsv: 4), with: 1002)
        assertFails(ClientFrame.make(5, []), with: 1002)
        assertFails(ClientFrame.make(0x0B, []), with: 1002)
        assertFails(ClientFrame.make(9, [UInt8](repeating: 0, count: 126)), with: 1002)
        assertFails(ClientFrame.make(9, [], fin: false), with: 1002)
        assertFails(ClientFrame.make(10, [], fin: false), with: 1002)
    }

    func testEchoOfEarlierMessagePrecedesTheFailureClose() {
        // Autobahn 3.2 / 5.15: good message, bad frame, ping, all in one chunk.
        let s = session()
        let chunk = ClientFrame.text("Hello, world!") + ClientFrame.make(1, Array("x".utf8), rsv: 2) + ClientFrame.make(9, [])
        let events = s.receive(chunk, nowMs: 0)
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events.first, .text(Array("Hello, world!".utf8)))
        guard case .closed(1002, _)? = events.last else { return XCTFail("\(events)") }
        XCTAssertTrue(s.canSend)
        XCTAssertTrue(s.sendText(Array("Hello, world!".utf8)))
        let out = drain(s)
        XCTAssertEqual(out.map(\.0.opcode), [.text, .close], "echo, then close; no pong")
        XCTAssertEqual(closeCode(out.last), 1002)
        XCTAssertTrue(s.shouldCloseTCP)
        XCTAssertFalse(s.sendText([0x41]))
    }

    // MARK: Size limit

    func testOversizedMessageIs1009() {
        let s = session(max: 100)
        XCTAssertEqual(s.receive(ClientFrame.make(2, [UInt8](repeating: 1, count: 100)), nowMs: 0).count, 1)
        let events = s.receive(Array(ClientFrame.make(2, [UInt8](repeating: 1, count: 101)).prefix(6)), nowMs: 0)
        XCTAssertEqual(events, [.closed(code: 1009, reason: "frame of 101 bytes exceeds the limit of 100")])
        XCTAssertEqual(closeCode(drain(s).first), 1009)
    }

    func testOversizedFragmentedMessageIs1009() {
        let s = session(max: 100)
        XCTAssertEqual(s.receive(ClientFrame.make(1, [UInt8](repeating: 0x41, count: 60), fin: false), nowMs: 0), [])
        let events = s.receive(ClientFrame.make(0, [UInt8](repeating: 0x41, count: 41)), nowMs: 0)
        guard case .closed(1009, _)? = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(closeCode(drain(s).first), 1009)
        XCTAssertTrue(s.shouldCloseTCP)
    }

    // MARK: UTF-8

    func testFourByteCodePointSplitOverThreeFragments() {
        let s = session()
        XCTAssertEqual(s.receive(ClientFrame.make(1, [0x61, 0xF0], fin: false), nowMs: 0), [])
        XCTAssertEqual(s.receive(ClientFrame.make(0, [0x9D, 0x84], fin: false), nowMs: 0), [])
        XCTAssertEqual(s.receive(ClientFrame.make(0, [0x9E]), nowMs: 0), [.text([0x61, 0xF0, 0x9D, 0x84, 0x9E])])
    }

    func testInvalidUTF8FailsFastInTheFirstFragment() {
        // Autobahn 6.4.1: the first fragment is already hopeless; close before the rest.
        let s = session()
        let events = s.receive(ClientFrame.make(1, [0xCE, 0xBA, 0xF4, 0x90], fin: false), nowMs: 0)
        guard case .closed(1007, _)? = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(closeCode(drain(s).first), 1007)
    }

    func testInvalidUTF8FailsFastInsideAPartialFrame() {
        // Autobahn 6.4.3: one frame arriving in chops; fail on the chop with the bad byte.
        let s = session()
        let frame = ClientFrame.make(1, [0x41, 0x42, 0xF4, 0x90, 0x80, 0x80, 0x43, 0x44])
        XCTAssertEqual(s.receive(Array(frame[0..<9]), nowMs: 0), [])  // header + "AB" + F4
        XCTAssertTrue(s.outbound.isEmpty)
        let events = s.receive(Array(frame[9..<10]), nowMs: 0)  // 0x90
        guard case .closed(1007, _)? = events.last else { return XCTFail("\(events)") }
        XCTAssertEqual(closeCode(drain(s).first), 1007)
    }

    func testMessageEndingMidSequenceIs1007() {
        assertFails(ClientFrame.make(1, [0x61, 0xE2, 0x82]), with: 1007)
        assertFails(ClientFrame.make(1, [0x61, 0xE2], fin: false) + ClientFrame.make(0, [0x82]), with: 1007)
    }

    func testBinaryMessagesAreNotUTF8Checked() {
        let s = session()
        XCTAssertEqual(s.receive(ClientFrame.make(2, [0xFF, 0xC0]), nowMs: 0), [.binary([0xFF, 0xC0])])
    }

    // MARK: Close handshake, peer first

    func testValidCloseCodesAreEchoed() {
        for code: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            let s = session()
            let events = s.receive(ClientFrame.close(code, Array("bye".utf8)), nowMs: 0)
            XCTAssertEqual(events, [.closed(code: code, reason: "bye")])
            XCTAssertEqual(s.state, .closed)
            let out = drain(s)
            XCTAssertEqual(out.count, 1)
            XCTAssertEqual(closeCode(out.first), code, "code \(code)")
            XCTAssertTrue(s.shouldCloseTCP)
        }
    }

    func testInvalidCloseCodesAre1002() {
        for code: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            assertFails(ClientFrame.close(code), with: 1002)
        }
    }

    func testClosePayloadRules() {
        // Empty close: answered with 1000.
        let s = session()
        XCTAssertEqual(s.receive(ClientFrame.close(nil), nowMs: 0), [.closed(code: nil, reason: "")])
        XCTAssertEqual(closeCode(drain(s).first), 1000)
        XCTAssertTrue(s.shouldCloseTCP)
        // One-byte payload, reason too long for a control frame, bad UTF-8 reason.
        assertFails(ClientFrame.make(8, [0x03]), with: 1002)
        assertFails(ClientFrame.close(1000, [UInt8](repeating: 0x2A, count: 124)), with: 1002)
        assertFails(ClientFrame.close(1000, [0xCE, 0xBA, 0xED, 0xA0, 0x80, 0x65]), with: 1007)
        // A 123-byte reason is fine.
        let t = session()
        XCTAssertEqual(t.receive(ClientFrame.close(1000, [UInt8](repeating: 0x2A, count: 123)), nowMs: 0).count, 1)
        XCTAssertEqual(closeCode(drain(t).first), 1000)
    }

    func testMessageThenCloseInOneChunkKeepsTheEchoFirst() {
        // Autobahn 7.1.1; and nothing after the close frame is looked at (7.1.2-7.1.4).
        let s = session()
        let chunk = ClientFrame.text("Hello") + ClientFrame.close(1000) + ClientFrame.make(9, [1]) + ClientFrame.text("late")
        let events = s.receive(chunk, nowMs: 0)
        XCTAssertEqual(events, [.text(Array("Hello".utf8)), .closed(code: 1000, reason: "")])
        XCTAssertTrue(s.sendText(Array("Hello".utf8)))
        let out = drain(s)
        XCTAssertEqual(out.map(\.0.opcode), [.text, .close])
        XCTAssertTrue(s.shouldCloseTCP)
        XCTAssertEqual(s.receive(ClientFrame.close(1000), nowMs: 0), [])
        XCTAssertTrue(drain(s).isEmpty)
    }

    func testCloseDuringFragmentedMessage() {
        let s = session()
        let events = s.receive(ClientFrame.text("frag", fin: false) + ClientFrame.close(1000) + ClientFrame.make(0, [0x41]), nowMs: 0)
        XCTAssertEqual(events, [.closed(code: 1000, reason: "")])
        XCTAssertEqual(drain(s).map(\.0.opcode), [.close])
    }

    // MARK: Close handshake, us first

    func testLocalCloseWaitsForPeerAndIgnoresData() {
        let s = session()
        _ = s.receive([], nowMs: 100)
        s.close(code: 1001, reason: "shutting down")
        XCTAssertEqual(s.state, .closing)
        XCTAssertFalse(s.canSend)
        let out = drain(s)
        XCTAssertEqual(closeCode(out.first), 1001)
        XCTAssertEqual(Array(out.first?.1.dropFirst(2) ?? []), Array("shutting down".utf8))
        XCTAssertFalse(s.shouldCloseTCP)
        // Data, pings and a second close call produce nothing.
        XCTAssertEqual(s.receive(ClientFrame.text("still talking") + ClientFrame.make(9, [1]), nowMs: 200), [])
        s.close(code: 1000, reason: "")
        XCTAssertFalse(s.sendText([0x41]))
        XCTAssertFalse(s.ping([]))
        XCTAssertTrue(drain(s).isEmpty)
        // Even invalid UTF-8 is just discarded now.
        XCTAssertEqual(s.receive(ClientFrame.make(1, [0xFF]), nowMs: 300), [])
        XCTAssertFalse(s.shouldCloseTCP)
        XCTAssertEqual(s.receive(ClientFrame.close(1001), nowMs: 400), [.closed(code: 1001, reason: "")])
        XCTAssertTrue(drain(s).isEmpty, "no second close frame")
        XCTAssertTrue(s.shouldCloseTCP)
        XCTAssertEqual(s.state, .closed)
    }

    func testProtocolErrorWhileClosingDropsTCPWithoutSecondClose() {
        let s = session()
        s.close(code: 1000, reason: "")
        XCTAssertEqual(drain(s).count, 1)
        let events = s.receive(ClientFrame.make(1, [0x41], masked: false), nowMs: 0)
        guard case .closed(1002, _)? = events.last else { return XCTFail("\(events)") }
        XCTAssertTrue(drain(s).isEmpty)
        XCTAssertTrue(s.shouldCloseTCP)
        XCTAssertEqual(s.state, .closed)
    }

    func testCloseHandshakeTimeout() {
        let s = session(timeout: 1000)
        _ = s.tick(nowMs: 5000)
        s.close(code: 1000, reason: "")
        XCTAssertEqual(s.tick(nowMs: 5999), [])
        XCTAssertFalse(s.shouldCloseTCP)
        let events = s.tick(nowMs: 6000)
        XCTAssertEqual(events.count, 1)
        guard case .closed(nil, _)? = events.first else { return XCTFail("\(events)") }
        XCTAssertTrue(s.shouldCloseTCP)
        XCTAssertEqual(s.tick(nowMs: 7000), [], "reported once")
    }

    func testCloseBeforeAnyClockStartsTimerOnFirstTick() {
        let s = session(timeout: 500)
        s.close(code: 1000, reason: "")
        s.tick(nowMs: 10_000)
        XCTAssertFalse(s.shouldCloseTCP)
        s.tick(nowMs: 10_499)
        XCTAssertFalse(s.shouldCloseTCP)
        s.tick(nowMs: 10_500)
        XCTAssertTrue(s.shouldCloseTCP)
    }

    func testTickDoesNothingWhileOpen() {
        let s = session(timeout: 1)
        XCTAssertEqual(s.tick(nowMs: 0), [])
        XCTAssertEqual(s.tick(nowMs: 1_000_000), [])
        XCTAssertFalse(s.shouldCloseTCP)
        XCTAssertEqual(s.state, .open)
    }

    func testLocalCloseWithForbiddenCodeSends1000() {
        let s = session()
        s.close(code: 1006, reason: "")
        XCTAssertEqual(closeCode(drain(s).first), 1000)
    }

    // MARK: Sending

    func testSendHelpersProduceUnmaskedFrames() {
        let s = session()
        XCTAssertTrue(s.sendText(Array("hi".utf8)))
        XCTAssertTrue(s.sendBinary([1, 2]))
        XCTAssertTrue(s.ping([9]))
        XCTAssertFalse(s.ping([UInt8](repeating: 0, count: 126)))
        XCTAssertTrue(s.sendEncodedFrame(WebSocketFrame.encodeText(Array("{}".utf8))))
        let out = drain(s)
        XCTAssertEqual(out.map(\.0.opcode), [.text, .binary, .ping, .text])
        XCTAssertEqual(out.map(\.0.masked), [false, false, false, false])
        XCTAssertEqual(out.map(\.1), [Array("hi".utf8), [1, 2], [9], Array("{}".utf8)])
    }
}
