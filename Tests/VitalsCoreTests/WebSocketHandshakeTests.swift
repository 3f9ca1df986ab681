import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class WebSocketHandshakeTests: XCTestCase {
    private let goodHeaders: [String: String] = [
        "host": "server.example.com",
        "upgrade": "websocket",
        "connection": "Upgrade",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-version": "13",
    ]

    private func validate(method: String = "GET", _ headers: [String: String]) -> Result<String, WebSocketHandshakeError> {
        WebSocketHandshake.validate(method: method) { headers[$0.lowercased()] }
    }

    private func error(_ r: Result<String, WebSocketHandshakeError>, file: StaticString = #filePath, line: UInt = #line) -> WebSocketHandshakeError? {
        if case .failure(let e) = r { return e }
        XCTFail("expected a refusal", file: file, line: line)
        return nil
    }

    func testRFCExampleAccept() {
        // RFC 6455 section 1.3 (the value is also what Python hashlib + base64 give).
        XCTAssertEqual(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        XCTAssertEqual(try validate(goodHeaders).get(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testTokensAreCaseInsensitiveAndListed() {
        var h = goodHeaders
        h["upgrade"] = "h2c, WebSocket"
        h["connection"] = "keep-alive,  UPGRADE "
        XCTAssertEqual(try validate(h).get(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    func testResponseHead() {
        let head = String(decoding: WebSocketHandshake.responseHead(accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), as: UTF8.self)
        XCTAssertEqual(head, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        XCTAssertFalse(head.lowercased().contains("extensions"))
        XCTAssertFalse(head.lowercased().contains("protocol:"))
    }

    func testRefusesNonGET() {
        let e = error(validate(method: "POST", goodHeaders))
        XCTAssertEqual(e?.kind, .methodNotGET)
        XCTAssertEqual(e?.status, 400)
        XCTAssertTrue(e?.responseHeaders.isEmpty ?? false)
    }

    func testRefusesMissingOrWrongUpgrade() {
        var h = goodHeaders
        h["upgrade"] = nil
        XCTAssertEqual(error(validate(h))?.kind, .missingUpgradeWebSocket)
        h["upgrade"] = "websockets"
        XCTAssertEqual(error(validate(h))?.kind, .missingUpgradeWebSocket)
        XCTAssertEqual(error(validate(h))?.status, 400)
    }

    func testRefusesMissingConnectionUpgrade() {
        var h = goodHeaders
        h["connection"] = "keep-alive"
        let e = error(validate(h))
        XCTAssertEqual(e?.kind, .missingConnectionUpgrade)
        XCTAssertEqual(e?.status, 400)
        h["connection"] = nil
        XCTAssertEqual(error(validate(h))?.kind, .missingConnectionUpgrade)
    }

    func testRefusesBadKeys() {
        var h = goodHeaders
        h["sec-websocket-key"] = nil
        XCTAssertEqual(error(validate(h))?.kind, .missingKey)
        for bad in ["", "not base64!!", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j",  // 15 bytes
                    "dGhlIHNhbXBsZSBub25jZXM=",  // 17 bytes
                    "dGhlIHNhbXBsZSBub25jZR==",  // stray bits under the padding
                    "dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ=="] {  // repeated header
            h["sec-websocket-key"] = bad
            let e = error(validate(h))
            XCTAssertEqual(e?.kind, .invalidKey, "key \(bad)")
            XCTAssertEqual(e?.status, 400)
        }
    }

    func testRefusesOtherVersionsWith426() {
        var h = goodHeaders
        for v in ["8", "14", "13, 8"] {
            h["sec-websocket-version"] = v
            let e = error(validate(h))
            XCTAssertEqual(e?.kind, .unsupportedVersion)
            XCTAssertEqual(e?.status, 426)
            XCTAssertEqual(e?.responseHeaders.first?.name, "Sec-WebSocket-Version")
            XCTAssertEqual(e?.responseHeaders.first?.value, "13")
            XCTAssertTrue(e?.message.contains("13") ?? false)
        }
        h["sec-websocket-version"] = nil
        XCTAssertEqual(error(validate(h))?.status, 426)
    }

    func testBase64RoundTrip() {
        for n in 0..<20 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            XCTAssertEqual(WebSocketBase64.decode(WebSocketBase64.encode(bytes)), bytes)
        }
        XCTAssertEqual(WebSocketBase64.encode(Array("foobar".utf8)), "Zm9vYmFy")
        XCTAssertEqual(WebSocketBase64.encode(Array("fo".utf8)), "Zm8=")
        XCTAssertNil(WebSocketBase64.decode("Zm=8"))
    }
}
