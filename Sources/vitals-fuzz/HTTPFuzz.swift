@testable import VitalsTransport

/// The HTTP/1.1 request parser, and its chunked decoder (private to it, so reached through
/// requests with `Transfer-Encoding: chunked`). Oracle: the connection hands the parser a
/// growing buffer as bytes arrive, and the parser keeps where it stopped scanning; the same
/// bytes fed all at once and fed a few at a time must give the same requests and errors.
enum HTTPFuzz {
    // Small limits, so libFuzzer's inputs (up to -max_len) reach the 413 and 431 paths.
    static let maxHeaderBytes = 2048
    static let maxBodyBytes = 2048

    static let request = FuzzTarget(name: "http") { input in
        check(Array(input))
    }

    static let chunkedHead = Array("POST /api/v1/system/stats/save HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
    static let chunked = FuzzTarget(name: "http-chunked") { input in
        check(chunkedHead + Array(input))
    }

    enum Outcome: Equatable {
        case incomplete
        case failure(Int)
        case request(String, consumed: Int)
    }

    static func check(_ bytes: [UInt8]) {
        let whole = outcomes(bytes, step: max(bytes.count, 1))
        let trickled = outcomes(bytes, step: 1 + bytes.count % 61)
        if whole != trickled { FuzzTarget.fail("HTTP parser: all at once \(whole), trickled \(trickled)") }
    }

    /// Drives one parser the way HTTPConnection does: the unconsumed bytes so far, `step`
    /// more each time it asks for more, the rest after each request (pipelining).
    static func outcomes(_ input: [UInt8], step: Int) -> [Outcome] {
        var parser = HTTPParser(maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
        var out: [Outcome] = []
        var start = 0
        var fed = min(step, input.count)
        while out.count < 16 {
            switch input[start..<fed].withUnsafeBufferPointer({ parser.parse($0) }) {
            case .incomplete:
                if fed == input.count { out.append(.incomplete); return out }
                fed = min(fed + step, input.count)
            case .failure(let status, _):
                out.append(.failure(status))
                return out
            case .request(let req, let consumed):
                guard consumed > 0, consumed <= fed - start else {
                    FuzzTarget.fail("HTTP parser consumed \(consumed) of \(fed - start) bytes")
                }
                if req.body.count > maxBodyBytes { FuzzTarget.fail("HTTP body of \(req.body.count) bytes passed the limit") }
                out.append(.request(summary(req), consumed: consumed))
                start += consumed
            }
        }
        return out
    }

    /// The request as text, touching what handlers read from it (query decoding,
    /// keep-alive, the WebSocket handshake), so those run on parsed input too.
    static func summary(_ r: HTTPRequest) -> String {
        let query = r.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let handshake = WebSocketHandshake.validate(method: r.method) { r.headerList($0.lowercased()) }
        return "\(r.method) \(r.path) ?\(r.rawQuery) 1.\(r.minorVersion) \(r.headers.map { "\($0.name): \($0.value)" }) "
            + "body \(r.body) query \(query) keepAlive \(r.keepAlive) ws \(handshake)"
    }
}
