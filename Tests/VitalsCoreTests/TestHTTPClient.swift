import Glibc
import Foundation
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// A blocking HTTP/1.1 client over a real loopback socket, for integration tests.
/// It writes raw bytes (so tests can send malformed or pipelined requests) and parses
/// responses by Content-Length.
final class TestHTTPClient {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> JSONValue { try JSONValue.parse(body) }
    }

    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeoutMs: Int = 5000, receiveBuffer: Int32? = nil) throws {
        fd = try connectLoopback(port: port, timeoutMs: timeoutMs, receiveBuffer: receiveBuffer)
    }

    deinit { close(fd) }

    func send(_ s: String) { send(Array(s.utf8)) }

    func send(_ bytes: [UInt8]) { sendAll(fd, bytes) }

    /// Reads more bytes; false on EOF, timeout or error.
    @discardableResult
    func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one whole response; nil if the server closed or timed out first.
    func readResponse(head: Bool = false) -> Response? {
        while true {
            if let r = parse(head: head) { return r }
            if !fill() { return nil }
        }
    }

    /// True when the server closes the connection (EOF) within the timeout.
    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    var unreadBytes: [UInt8] { buffer }

    private func parse(head: Bool) -> Response? {
        guard let end = findHeadEnd() else { return nil }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for l in lines {
            guard let c = l.firstIndex(of: ":") else { continue }
            headers[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        let length = head || status == 100 || status == 101 || status == 204 ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        guard buffer.count >= end + 4 + length else { return nil }
        let body = Array(buffer[(end + 4)..<(end + 4 + length)])
        buffer.removeFirst(end + 4 + length)
        return Response(status: status, headers: headers, body: body)
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// One request on a fresh connection.
    static func request(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], body: String? = nil) throws -> Response {
        let c = try TestHTTPClient(port: port)
        var req = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (k, v) in headers { req += "\(k): \(v)\r\n" }
        if let body { req += "Content-Length: \(body.utf8.count)\r\n" }
        req += "Connection: close\r\n\r\n" + (body ?? "")
        c.send(req)
        guard let r = c.readResponse(head: method == "HEAD") else { throw TestError("no response to \(method) \(path)") }
        return r
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A temporary directory removed at deinit.
final class TempDir {
    let path: String
    init() {
        var template = Array((NSTemporaryDirectory() + "vitals-test-XXXXXX").utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = p.map { String(cString: $0) } ?? NSTemporaryDirectory()
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}


/// A blocking TCP socket connected to 127.0.0.1:`port`, with a receive timeout so a test
/// that waits for an answer that never comes fails instead of hanging.
/// `receiveBuffer` (SO_RCVBUF, set before connecting) makes a small window for stalled readers.
func connectLoopback(port: Int, timeoutMs: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket failed") }
    if var size = receiveBuffer {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: Int((timeoutMs % 1000) * 1000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var sa = sockaddr_in()
    sa.sin_family = sa_family_t(AF_INET)
    sa.sin_port = in_port_t(UInt16(port).bigEndian)
    sa.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { close(fd); throw TestError("connect to \(port) failed: \(String(cString: strerror(errno)))") }
    return fd
}

/// Writes all of `bytes` to a blocking socket; stops quietly if the peer is gone.
func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return }
        off += n
    }
}
