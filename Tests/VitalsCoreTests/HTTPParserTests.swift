import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class HTTPParserTests: XCTestCase {
    private func parseAll(_ text: String, chunkSize: Int? = nil, maxHeader: Int = 1024, maxBody: Int = 1024) -> ([HTTPRequest], HTTPParser.Result?) {
        var parser = HTTPParser(maxHeaderBytes: maxHeader, maxBodyBytes: maxBody)
        let bytes = Array(text.utf8)
        var buffer: [UInt8] = []
        var out: [HTTPRequest] = []
        var last: HTTPParser.Result?
        var offset = 0
        let step = chunkSize ?? bytes.count
        while offset < bytes.count {
            buffer.append(contentsOf: bytes[offset..<min(bytes.count, offset + step)])
            offset += step
            parsing: while true {
                let r = buffer.withUnsafeBufferPointer { parser.parse($0) }
                last = r
                switch r {
                case .request(let req, let consumed):
                    out.append(req)
                    buffer.removeFirst(consumed)
                    if buffer.isEmpty { break parsing }
                case .incomplete: break parsing
                case .failure: return (out, r)
                }
            }
        }
        return (out, last)
    }

    private func failureStatus(_ r: HTTPParser.Result?) -> Int? {
        if case .failure(let s, _)? = r { return s }
        return nil
    }

    func testSimpleGetWithQuery() {
        let (reqs, _) = parseAll("GET /api/v1/x?a=1&b=two%20words&c=x+y HTTP/1.1\r\nHost: h\r\nX-Thing:  spaced value \r\n\r\n")
        XCTAssertEqual(reqs.count, 1)
        XCTAssertEqual(reqs[0].method, "GET")
        XCTAssertEqual(reqs[0].path, "/api/v1/x")
        XCTAssertEqual(reqs[0].query["b"], "two words")
        XCTAssertEqual(reqs[0].query["c"], "x y")
        XCTAssertEqual(reqs[0].header("x-thing"), "spaced value")
        XCTAssertTrue(reqs[0].keepAlive)
    }

    func testByteByByteSplitReads() {
        let text = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        let (reqs, _) = parseAll(text, chunkSize: 1)
        XCTAssertEqual(reqs.count, 1)
        XCTAssertEqual(String(decoding: reqs[0].body, as: UTF8.self), "hello")
    }

    func testPipelinedRequestsInOrder() {
        let text = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nPOST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nokGET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        let (reqs, _) = parseAll(text)
        XCTAssertEqual(reqs.map(\.path), ["/a", "/b", "/c", "/d"])
        XCTAssertFalse(reqs[3].keepAlive)
        let (split, _) = parseAll(text, chunkSize: 7)
        XCTAssertEqual(split.map(\.path), ["/a", "/b", "/c", "/d"])
    }

    func testChunkedBody() {
        let text = "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n"
        for size in [nil, 1, 3] as [Int?] {
            let (reqs, _) = parseAll(text, chunkSize: size)
            XCTAssertEqual(reqs.count, 1)
            XCTAssertEqual(String(decoding: reqs.first?.body ?? [], as: UTF8.self), "hello world")
        }
    }

    func testBadLengths() {
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999\r\n\r\n").1), 413)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").1), 501)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").1), 400)
        let bigChunk = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + String(repeating: "a", count: 2048) + "\r\n0\r\n\r\n"
        XCTAssertEqual(failureStatus(parseAll(bigChunk).1), 413)
    }

    func testOversizedHeadersAndMalformedLines() {
        let huge = "GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 2000) + "\r\n\r\n"
        XCTAssertEqual(failureStatus(parseAll(huge).1), 431)
        // An endless head with no blank line is cut off at the limit, not buffered forever.
        XCTAssertEqual(failureStatus(parseAll("GET / HTTP/1.1\r\n" + String(repeating: "X-A: b\r\n", count: 300)).1), 431)
        XCTAssertEqual(failureStatus(parseAll("GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("GET / HTTP/1.1\r\n\r\n").1), 400) // no Host
        XCTAssertEqual(failureStatus(parseAll("GET / HTTP/2.0\r\nHost: h\r\n\r\n").1), 505)
        XCTAssertEqual(failureStatus(parseAll("GET / FOO\r\nHost: h\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("GET nopath HTTP/1.1\r\nHost: h\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("G(T / HTTP/1.1\r\nHost: h\r\n\r\n").1), 400)
    }

    func testHTTP10AndAbsoluteFormAndLeadingBlankLines() {
        let (r10, _) = parseAll("GET /x HTTP/1.0\r\n\r\n")
        XCTAssertEqual(r10.count, 1)
        XCTAssertFalse(r10[0].keepAlive)
        let (abs, _) = parseAll("\r\n\r\nGET http://example.org/y?q=1 HTTP/1.1\r\nHost: example.org\r\n\r\n")
        XCTAssertEqual(abs.first?.path, "/y")
        XCTAssertEqual(abs.first?.rawQuery, "q=1")
    }

    func testExpectContinueIsReported() {
        var parser = HTTPParser(maxHeaderBytes: 1024, maxBodyBytes: 1024)
        let head = Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8)
        let r = head.withUnsafeBufferPointer { parser.parse($0) }
        guard case .incomplete(let head) = r else { return XCTFail("expected incomplete") }
        XCTAssertEqual(head?.method, "POST", "the head comes with the request for 100-continue")
    }

    func testFramingLeniencyFromReviewIsRejected() {
        // A bare CR must not end the request line (it would swallow the next byte).
        XCTAssertEqual(failureStatus(parseAll("GET / HTTP/1.1\rXHost: a\r\n\r\n").1), 400)
        // Chunk extensions with a bare LF, and malformed trailers.
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2;\nxx\r\n{}\r\n0\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\nZ\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n").1), 400)
        // Endless trailers are cut off at the header limit as a whole.
        let trailers = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "X-a: b\r\n", count: 400)
        XCTAssertEqual(failureStatus(parseAll(trailers, chunkSize: 64).1), 431)
        // Endless blank lines before a request count against the head limit.
        XCTAssertEqual(failureStatus(parseAll(String(repeating: "\r\n", count: 600), chunkSize: 100).1), 431)
        XCTAssertEqual(failureStatus(parseAll("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").1), 400)
        XCTAssertEqual(failureStatus(parseAll("GET / HTTP/1.1\r\nHost:\r\n\r\n").1), 400)
        // HTTP/1.0 Expect is ignored, not answered with 100 or 417.
        var parser = HTTPParser(maxHeaderBytes: 1024, maxBodyBytes: 1024)
        let head = Array("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n".utf8)
        guard case .incomplete(let continueFor) = head.withUnsafeBufferPointer({ parser.parse($0) }) else { return XCTFail("expected incomplete") }
        XCTAssertNil(continueFor)
        XCTAssertEqual(parseAll("GET / HTTP/1.0\r\nExpect: something\r\n\r\n").0.count, 1)
    }

    func testChunkedBodyInManyReadsWithTrailer() {
        var text = "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<50 { text += "a\r\n0123456789\r\n" }
        text += "0\r\nX-Sum: 500\r\n\r\n"
        let (reqs, _) = parseAll(text, chunkSize: 7, maxBody: 4096)
        XCTAssertEqual(reqs.first?.body.count, 500)
    }
}
