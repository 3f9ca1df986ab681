import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Builds client frames the way a browser would (masked), with knobs to break the rules.
enum ClientFrame {
    static func make(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0,
                     masked: Bool = true, key: [UInt8] = [0x37, 0xFA, 0x21, 0x3D],
                     lengthForm: Int? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 7) << 4 | (opcode & 0x0F)]
        let maskBit: UInt8 = masked ? 0x80 : 0
        let n = payload.count
        let form = lengthForm ?? (n <= 125 ? 0 : (n <= 0xFFFF ? 2 : 8))
        switch form {
        case 0: out.append(maskBit | UInt8(n))
        case 2: out.append(maskBit | 126); out += [UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
        default:
            out.append(maskBit | 127)
            for s in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(n) >> UInt64(s))) }
        }
        if masked {
            out += key
            out += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        } else {
            out += payload
        }
        return out
    }

    static func text(_ s: String, fin: Bool = true) -> [UInt8] { make(1, Array(s.utf8), fin: fin) }
    static func close(_ code: UInt16?, _ reason: [UInt8] = []) -> [UInt8] {
        guard let code else { return make(8, []) }
        return make(8, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
    }
}

extension WebSocketFrameParser {
    /// `step` without typed throws inside closures (Swift 6.3 crashes in IRGen on
    /// typed-throws closures passed to `withUnsafeBytes`).
    mutating func stepResult(_ input: UnsafeRawBufferPointer, at index: inout Int,
                             payloadInto sink: inout [UInt8]) -> Result<Step, WebSocketProtocolError> {
        do { return .success(try step(input, at: &index, payloadInto: &sink)) } catch { return .failure(error) }
    }
}

/// Splits server output back into frames.
func decodeServerFrames(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [(WebSocketFrameHeader, [UInt8])] {
    var parser = WebSocketFrameParser(maxFrameBytes: 1 << 26, requireMask: false)
    var frames: [(WebSocketFrameHeader, [UInt8])] = []
    var payload: [UInt8] = []
    var header: WebSocketFrameHeader?
    var index = 0
    bytes.withUnsafeBytes { buf in
        loop: while true {
            switch parser.stepResult(buf, at: &index, payloadInto: &payload) {
            case .failure(let e): XCTFail("server output does not parse: \(e)", file: file, line: line); break loop
            case .success(.needMoreInput): break loop
            case .success(.header(let h)): header = h; payload = []
            case .success(.payload): break
            case .success(.frameEnd): if let header { frames.append((header, payload)) }
            }
        }
    }
    XCTAssertEqual(index, bytes.count, "trailing partial frame", file: file, line: line)
    return frames
}

final class WebSocketFrameTests: XCTestCase {
    private struct Parsed: Equatable { var header: WebSocketFrameHeader; var payload: [UInt8] }

    /// Parses client bytes fed in chunks of `chunk` bytes.
    private func parse(_ bytes: [UInt8], chunk: Int = Int.max, max: Int = 1 << 20) -> Result<[Parsed], WebSocketProtocolError> {
        var parser = WebSocketFrameParser(maxFrameBytes: max)
        var out: [Parsed] = []
        var header: WebSocketFrameHeader?
        var payload: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let piece = Array(bytes[start..<min(bytes.count, start + chunk)])
            start += piece.count
            var index = 0
            var failure: WebSocketProtocolError?
            piece.withUnsafeBytes { buf in
                loop: while true {
                    switch parser.stepResult(buf, at: &index, payloadInto: &payload) {
                    case .failure(let e): failure = e; break loop
                    case .success(.needMoreInput): break loop
                    case .success(.header(let h)): header = h; payload = []
                    case .success(.payload(let n)): XCTAssertGreaterThan(n, 0)
                    case .success(.frameEnd): if let header { out.append(Parsed(header: header, payload: payload)) }
                    }
                }
            }
            if let failure { return .failure(failure) }
            XCTAssertEqual(index, piece.count)
        }
        return .success(out)
    }

    private func code(_ r: Result<[Parsed], WebSocketProtocolError>) -> UInt16? {
        if case .failure(let e) = r { return e.closeCode }
        return nil
    }

    func testEncoderUsesMinimalLengthForms() {
        let cases: [(Int, [UInt8])] = [
            (0, [0x81, 0]),
            (125, [0x81, 125]),
            (126, [0x81, 126, 0, 126]),
            (65535, [0x81, 126, 0xFF, 0xFF]),
            (65536, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
        ]
        for (n, header) in cases {
            let payload = [UInt8](repeating: 0x61, count: n)
            let frame = WebSocketFrame.encodeText(payload)
            XCTAssertEqual(Array(frame.prefix(header.count)), header, "length \(n)")
            XCTAssertEqual(frame.count, header.count + n)
            XCTAssertEqual(WebSocketFrame.header(opcode: .text, payloadLength: n), header)
            XCTAssertEqual(WebSocketFrame.headerLength(payloadLength: n), header.count)
            XCTAssertEqual(Array(frame.suffix(n)), payload)
        }
        XCTAssertEqual(WebSocketFrame.encode(opcode: .binary, payload: [1, 2], fin: false), [0x02, 2, 1, 2])
        XCTAssertEqual(WebSocketFrame.encode(opcode: .pong, payload: []), [0x8A, 0])
    }

    func testParsesEveryLengthFormMaskedWholeAndByteByByte() throws {
        for n in [0, 1, 125, 126, 127, 65535, 65536] {
            let payload = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let frame = ClientFrame.make(2, payload)
            let whole = try parse(frame).get()
            XCTAssertEqual(whole, [Parsed(header: .init(fin: true, opcode: .binary, masked: true, payloadLength: n), payload: payload)], "length \(n)")
            if n <= 126 {
                XCTAssertEqual(try parse(frame, chunk: 1).get(), whole, "length \(n) byte by byte")
            }
            XCTAssertEqual(try parse(frame, chunk: 997).get(), whole, "length \(n) in 997-byte chops")
        }
    }

    func testSeveralFramesInOneChunk() throws {
        let bytes = ClientFrame.text("Hel", fin: false) + ClientFrame.make(9, [1, 2]) + ClientFrame.make(0, Array("lo".utf8))
        let frames = try parse(bytes).get()
        XCTAssertEqual(frames.map(\.header.opcode), [.text, .ping, .continuation])
        XCTAssertEqual(frames.map(\.header.fin), [false, true, true])
        XCTAssertEqual(frames.map(\.payload), [Array("Hel".utf8), [1, 2], Array("lo".utf8)])
        XCTAssertEqual(try parse(bytes, chunk: 1).get(), frames)
    }

    func testUnmaskMatchesNaiveXORAtEveryPhase() {
        let key: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
        let keyWord = UInt32(key[0]) | UInt32(key[1]) << 8 | UInt32(key[2]) << 16 | UInt32(key[3]) << 24
        for phase in 0..<4 {
            for n in [0, 1, 7, 8, 9, 31] {
                let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 * 13 + 1) }
                var buf = data
                buf.withUnsafeMutableBytes { WebSocketFrame.unmask($0, key: keyWord, phase: phase) }
                XCTAssertEqual(buf, data.enumerated().map { $0.element ^ key[($0.offset + phase) % 4] }, "phase \(phase) n \(n)")
            }
        }
    }

    func testRejectsUnmaskedClientFrames() {
        XCTAssertEqual(code(parse(ClientFrame.make(1, Array("hi".utf8), masked: false))), 1002)
    }

    func testRejectsReservedBits() {
        for rsv: UInt8 in 1...7 {
            XCTAssertEqual(code(parse(ClientFrame.make(1, [0x41], rsv: rsv))), 1002, "rsv \(rsv)")
        }
    }

    func testRejectsReservedOpcodes() {
        for op: UInt8 in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] {
            XCTAssertEqual(code(parse(ClientFrame.make(op, []))), 1002, "opcode \(op)")
        }
    }

    func testControlFrameRules() throws {
        XCTAssertNoThrow(try parse(ClientFrame.make(9, [UInt8](repeating: 1, count: 125))).get())
        XCTAssertEqual(code(parse(ClientFrame.make(9, [UInt8](repeating: 1, count: 126)))), 1002)
        XCTAssertEqual(code(parse(ClientFrame.make(10, [UInt8](repeating: 1, count: 126)))), 1002)
        XCTAssertEqual(code(parse(ClientFrame.make(8, [UInt8](repeating: 1, count: 200)))), 1002)
        XCTAssertEqual(code(parse(ClientFrame.make(9, [], fin: false))), 1002)
        XCTAssertEqual(code(parse(ClientFrame.make(8, [3, 232], fin: false))), 1002)
    }

    func testRejectsNonMinimalLengthsAndTopBit() {
        XCTAssertEqual(code(parse(ClientFrame.make(2, [1, 2, 3], lengthForm: 2))), 1002)
        XCTAssertEqual(code(parse(ClientFrame.make(2, [UInt8](repeating: 0, count: 125), lengthForm: 2))), 1002)
        XCTAssertEqual(code(parse(ClientFrame.make(2, [UInt8](repeating: 0, count: 65535), lengthForm: 8))), 1002)
        XCTAssertNoThrow(try parse(ClientFrame.make(2, [UInt8](repeating: 0, count: 126), lengthForm: 2)).get())
        // 64-bit length with the top bit set: refused on that byte, before the rest.
        XCTAssertEqual(code(parse([0x82, 0xFF, 0x80])), 1002)
    }

    func testOversizedFrameIs1009BeforeItsPayload() {
        let header = Array(ClientFrame.make(2, [UInt8](repeating: 0, count: 2000)).prefix(8))
        XCTAssertEqual(code(parse(header, max: 1000)), 1009)
        XCTAssertNoThrow(try parse(ClientFrame.make(2, [UInt8](repeating: 0, count: 1000)), max: 1000).get())
    }

    func testParserStaysFailed() {
        var parser = WebSocketFrameParser(maxFrameBytes: 100)
        var sink: [UInt8] = []
        var index = 0
        let bad: [UInt8] = [0xC1, 0x80]
        let codes: [UInt16?] = bad.withUnsafeBytes { buf in
            (0..<2).map { _ -> UInt16? in
                if case .failure(let e) = parser.stepResult(buf, at: &index, payloadInto: &sink) { return e.closeCode }
                return nil
            }
        }
        XCTAssertEqual(codes, [1002, 1002])
    }

    func testClosePayloadTruncatesReasonOnCharacterBoundary() {
        let reason = String(repeating: "é", count: 100)  // 200 bytes
        let payload = WebSocketFrame.closePayload(code: 1001, reason: reason)
        XCTAssertLessThanOrEqual(payload.count, 125)
        XCTAssertEqual(Array(payload.prefix(2)), [0x03, 0xE9])
        XCTAssertEqual(payload.count, 2 + 122)
        var v = UTF8Validator()
        XCTAssertTrue(v.validate(Array(payload.dropFirst(2))) && v.isComplete)
    }
}
