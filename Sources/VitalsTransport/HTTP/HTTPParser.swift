import VitalsSupport
/// Incremental HTTP/1.1 request parser (RFC 9112). It is handed the unconsumed bytes of a
/// connection each time more arrive and either finds one whole request, asks for more,
/// or names the status the request deserves. It keeps where it stopped scanning so a
/// header block that trickles in byte by byte is not rescanned from the start each time.
struct HTTPParser {
    enum Result {
        /// More bytes are needed. `continueFor`: the head, when it asked for `100 Continue`
        /// (so the server can refuse it before inviting the body).
        case incomplete(continueFor: HTTPRequest?)
        case request(HTTPRequest, consumed: Int)
        case failure(status: Int, message: String)
    }

    let maxHeaderBytes: Int
    let maxBodyBytes: Int

    private var scanFrom = 0
    private var head: (request: HTTPRequest, headLength: Int, body: BodyKind, expectsContinue: Bool)?

    enum BodyKind { case none, length(Int), chunked }

    init(maxHeaderBytes: Int, maxBodyBytes: Int) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// True while part of a request has been seen (for the slow-request timeout).
    var isMidRequest: Bool { head != nil || scanFrom > 0 }

    mutating func reset() { scanFrom = 0; head = nil; chunkResume = 0; chunkBody = [] }

    mutating func parse(_ buf: UnsafeBufferPointer<UInt8>) -> Result {
        if head == nil {
            // RFC 9112 §2.2: ignore empty lines before the request line.
            var skip = 0
            while skip + 1 < buf.count, buf[skip] == 13, buf[skip + 1] == 10 { skip += 2 }
            guard let end = findHeadEnd(buf, from: max(skip, scanFrom)) else {
                // Leading blank lines count too: endless CRLFs must not be buffered forever.
                if buf.count > maxHeaderBytes {
                    return .failure(status: 431, message: "request head is larger than \(maxHeaderBytes) bytes")
                }
                scanFrom = max(skip, buf.count - 3)
                return .incomplete(continueFor: nil)
            }
            if end > maxHeaderBytes {
                return .failure(status: 431, message: "request head is larger than \(maxHeaderBytes) bytes")
            }
            switch parseHead(UnsafeBufferPointer(rebasing: buf[skip..<end])) {
            case .failure(let status, let message):
                return .failure(status: status, message: message)
            case .success(let parsed):
                head = (parsed.request, end + 4, parsed.body, parsed.expectsContinue)
            }
        }
        guard let h = head else { return .incomplete(continueFor: nil) }
        switch h.body {
        case .none:
            return finish(h.request, consumed: h.headLength)
        case .length(let n):
            guard buf.count - h.headLength >= n else { return .incomplete(continueFor: h.expectsContinue ? h.request : nil) }
            var req = h.request
            req.body = Array(buf[h.headLength..<(h.headLength + n)])
            return finish(req, consumed: h.headLength + n)
        case .chunked:
            switch decodeChunked(UnsafeBufferPointer(rebasing: buf[h.headLength...])) {
            case .incomplete: return .incomplete(continueFor: h.expectsContinue ? h.request : nil)
            case .failure(let status, let message): return .failure(status: status, message: message)
            case .complete(let body, let used):
                var req = h.request
                req.body = body
                return finish(req, consumed: h.headLength + used)
            }
        }
    }

    private mutating func finish(_ req: HTTPRequest, consumed: Int) -> Result {
        reset()
        return .request(req, consumed: consumed)
    }

    private func findHeadEnd(_ buf: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard buf.count >= 4 else { return nil }
        var i = from
        while i + 3 < buf.count {
            if buf[i + 3] != 10 { i += buf[i + 3] == 13 ? 1 : 4; continue }
            if buf[i] == 13 && buf[i + 1] == 10 && buf[i + 2] == 13 { return i }
            i += 1
        }
        return nil
    }

    // MARK: head

    private struct ParsedHead { var request: HTTPRequest; var body: BodyKind; var expectsContinue: Bool }
    private enum HeadResult { case success(ParsedHead), failure(Int, String) }

    private func parseHead(_ b: UnsafeBufferPointer<UInt8>) -> HeadResult {
        // Request line.
        var i = 0
        let methodStart = i
        while i < b.count, isTokenChar(b[i]) { i += 1 }
        guard i > methodStart, i < b.count, b[i] == 32 else { return .failure(400, "malformed request line") }
        let method = String(decoding: UnsafeBufferPointer(rebasing: b[methodStart..<i]), as: UTF8.self)
        i += 1
        let targetStart = i
        while i < b.count, b[i] > 32, b[i] < 127 { i += 1 }
        guard i > targetStart, i < b.count, b[i] == 32 else { return .failure(400, "malformed request target") }
        let targetEnd = i
        i += 1
        let versionStart = i
        while i < b.count, b[i] != 13 { i += 1 }
        let version = UnsafeBufferPointer(rebasing: b[versionStart..<i])
        let minor: Int
        if version.count == 8, version.starts(with: "HTTP/1.".utf8), version[7] == 49 || version[7] == 48 {
            minor = Int(version[7] - 48)
        } else if version.count == 8, version.starts(with: "HTTP/".utf8), version[6] == 46,
                  (48...57).contains(version[5]), (48...57).contains(version[7]) {
            return .failure(505, "only HTTP/1.0 and HTTP/1.1 are supported")
        } else {
            return .failure(400, "malformed HTTP version")
        }
        // The request line ends at the end of the head or in CRLF; a bare CR is not a line end.
        if i < b.count && (i + 1 >= b.count || b[i + 1] != 10) { return .failure(400, "malformed request line") }

        // Target: origin-form, absolute-form (path taken from it) or "*" for OPTIONS.
        var target = UnsafeBufferPointer(rebasing: b[targetStart..<targetEnd])
        if target.first != 47 { // "/"
            if target.count == 1 && target[0] == 42 && method == "OPTIONS" {
                // asterisk-form
            } else if let schemeEnd = findSubsequence(target, "://".utf8) {
                var p = schemeEnd + 3
                while p < target.count, target[p] != 47, target[p] != 63 { p += 1 }
                if p == target.count { return .failure(400, "absolute URL without a path") }
                target = UnsafeBufferPointer(rebasing: target[p...])
            } else {
                return .failure(400, "request target must start with /")
            }
        }
        var q = 0
        while q < target.count, target[q] != 63 { q += 1 } // "?"
        guard let path = PercentCoding.decode(String(decoding: UnsafeBufferPointer(rebasing: target[0..<q]), as: UTF8.self), plusAsSpace: false),
              !path.utf8.contains(0) else {
            return .failure(400, "malformed percent-encoding in path")
        }
        let rawQuery = q < target.count ? String(decoding: UnsafeBufferPointer(rebasing: target[(q + 1)...]), as: UTF8.self) : ""

        // Header fields.
        var headers: [(name: String, value: String)] = []
        var contentLength: Int? = nil
        var transferEncoding: String? = nil
        var hostCount = 0
        var expectsContinue = false
        i += 2
        while i < b.count {
            if b[i] == 32 || b[i] == 9 { return .failure(400, "obsolete header line folding is not accepted") }
            let nameStart = i
            while i < b.count, isTokenChar(b[i]) { i += 1 }
            guard i > nameStart, i < b.count, b[i] == 58 else { return .failure(400, "malformed header field") }
            var nameBytes = [UInt8](UnsafeBufferPointer(rebasing: b[nameStart..<i]))
            for k in nameBytes.indices where nameBytes[k] >= 65 && nameBytes[k] <= 90 { nameBytes[k] += 32 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            i += 1
            while i < b.count, b[i] == 32 || b[i] == 9 { i += 1 }
            let valueStart = i
            while i < b.count, b[i] != 13 {
                if b[i] == 0 || b[i] == 10 { return .failure(400, "invalid character in header \(name)") }
                i += 1
            }
            var valueEnd = i
            while valueEnd > valueStart, b[valueEnd - 1] == 32 || b[valueEnd - 1] == 9 { valueEnd -= 1 }
            if i < b.count && (i + 1 >= b.count || b[i + 1] != 10) { return .failure(400, "bare CR in header \(name)") }
            let value = String(decoding: UnsafeBufferPointer(rebasing: b[valueStart..<valueEnd]), as: UTF8.self)
            i += 2
            switch name {
            case "content-length":
                for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let t = part.trimmedWhitespace
                    guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), t.count <= 15, let n = Int(t) else {
                        return .failure(400, "invalid Content-Length")
                    }
                    if let c = contentLength, c != n { return .failure(400, "conflicting Content-Length values") }
                    contentLength = n
                }
            case "transfer-encoding":
                transferEncoding = (transferEncoding.map { $0 + "," } ?? "") + value
            case "host":
                hostCount += 1
                if value.isEmpty { return .failure(400, "empty Host header") }
            case "expect":
                // RFC 9110 §10.1.1: an HTTP/1.0 request's Expect is ignored.
                if minor == 1 {
                    if value.lowercased() == "100-continue" { expectsContinue = true }
                    else { return .failure(417, "unsupported Expect: \(value)") }
                }
            default: break
            }
            headers.append((name, value))
        }
        if minor == 1 && hostCount != 1 {
            return .failure(400, hostCount == 0 ? "HTTP/1.1 request without Host header" : "more than one Host header")
        }

        var body = BodyKind.none
        if let te = transferEncoding {
            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing.
            if minor == 0 { return .failure(400, "Transfer-Encoding is not allowed in HTTP/1.0") }
            if contentLength != nil { return .failure(400, "both Transfer-Encoding and Content-Length") }
            let codings = te.split(separator: ",").map { $0.trimmedWhitespace.lowercased() }
            guard codings.last == "chunked" else { return .failure(400, "Transfer-Encoding must end with chunked") }
            guard codings.count == 1 else { return .failure(501, "only the chunked transfer coding is supported") }
            body = .chunked
        } else if let n = contentLength {
            if n > maxBodyBytes { return .failure(413, "request body is larger than \(maxBodyBytes) bytes") }
            if n > 0 { body = .length(n) }
        }
        if case .none = body { expectsContinue = false }
        var req = HTTPRequest(method: method, path: path, rawQuery: rawQuery, minorVersion: minor, headers: headers)
        req.body = []
        return .success(ParsedHead(request: req, body: body, expectsContinue: expectsContinue))
    }

    // MARK: chunked body

    private enum ChunkResult { case incomplete, failure(Int, String), complete([UInt8], Int) }

    /// Where chunk decoding stopped (at a chunk boundary, relative to the body start), so
    /// a body arriving in many reads is decoded once, not again from its start each time.
    private var chunkResume = 0
    private var chunkBody: [UInt8] = []

    private mutating func decodeChunked(_ b: UnsafeBufferPointer<UInt8>) -> ChunkResult {
        var i = chunkResume
        while true {
            // chunk-size [; ext] CRLF
            var size = 0
            var digits = 0
            while i < b.count, let v = PercentCoding.hexValue(b[i]) {
                size = size * 16 + Int(v)
                digits += 1
                if digits > 8 { return .failure(400, "chunk size too large") }
                i += 1
            }
            if i >= b.count { return .incomplete }
            guard digits > 0 else { return .failure(400, "malformed chunk size") }
            guard let lineEnd = findCRLF(b, from: i, limit: 1024) else {
                return b.count - i > 1024 ? .failure(400, "chunk extension too long") : .incomplete
            }
            if lineEnd > i {
                // Only `;ext` (after optional spaces) may follow the size; no control characters.
                var k = i
                while k < lineEnd, b[k] == 32 || b[k] == 9 { k += 1 }
                if k < lineEnd && b[k] != 59 { return .failure(400, "malformed chunk size") }
                for c in UnsafeBufferPointer(rebasing: b[i..<lineEnd]) where (c < 32 && c != 9) || c == 127 {
                    return .failure(400, "control character in chunk extension")
                }
            }
            i = lineEnd + 2
            if size == 0 {
                // The trailer section (header fields, bounded as a whole), then the final CRLF.
                let trailerStart = i
                while true {
                    guard let end = findCRLF(b, from: i, limit: maxHeaderBytes) else {
                        return b.count - trailerStart > maxHeaderBytes ? .failure(431, "chunked trailers too large") : .incomplete
                    }
                    if end == i {
                        let body = chunkBody
                        chunkBody = []
                        chunkResume = 0
                        return .complete(body, end + 2)
                    }
                    if end - trailerStart > maxHeaderBytes { return .failure(431, "chunked trailers too large") }
                    if !isValidField(UnsafeBufferPointer(rebasing: b[i..<end])) { return .failure(400, "malformed trailer field") }
                    i = end + 2
                }
            }
            if chunkBody.count + size > maxBodyBytes { return .failure(413, "request body is larger than \(maxBodyBytes) bytes") }
            guard b.count - i >= size + 2 else { return .incomplete }
            guard b[i + size] == 13, b[i + size + 1] == 10 else { return .failure(400, "chunk data not followed by CRLF") }
            chunkBody.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<(i + size)]))
            i += size + 2
            chunkResume = i
        }
    }

    /// `name: value` with a token name and no control characters but tab in the value.
    private func isValidField(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var k = 0
        while k < line.count, isTokenChar(line[k]) { k += 1 }
        guard k > 0, k < line.count, line[k] == 58 else { return false }
        for c in UnsafeBufferPointer(rebasing: line[(k + 1)...]) where (c < 32 && c != 9) || c == 127 { return false }
        return true
    }

    private func findCRLF(_ b: UnsafeBufferPointer<UInt8>, from: Int, limit: Int) -> Int? {
        var i = from
        while i + 1 < b.count && i - from <= limit {
            if b[i] == 13 && b[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func findSubsequence<S: Sequence>(_ b: UnsafeBufferPointer<UInt8>, _ needle: S) -> Int? where S.Element == UInt8 {
        let n = Array(needle)
        guard b.count >= n.count else { return nil }
        for i in 0...(b.count - n.count) where b[i] == n[0] {
            if Array(b[i..<(i + n.count)]) == n { return i }
        }
        return nil
    }
}

/// RFC 9110 tchar: the characters allowed in methods and header names.
@inline(__always)
func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case 48...57, 65...90, 97...122: return true
    case 33, 35, 36, 37, 38, 39, 42, 43, 45, 46, 94, 95, 96, 124, 126: return true
    default: return false
    }
}
