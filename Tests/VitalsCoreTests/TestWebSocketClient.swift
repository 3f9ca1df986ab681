import Glibc
import Foundation
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// A blocking WebSocket client over a real loopback socket: sends masked frames,
/// reads the server's unmasked frames. Pings are answered unless `answerPings` is off.
final class TestWebSocketClient {
    struct Frame {
        var opcode: UInt8
        var fin: Bool
        var payload: [UInt8]
        var text: String { String(decoding: payload, as: UTF8.self) }
        var closeCode: UInt16? { opcode == 8 && payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil }
        func json() throws -> [String: JSONValue] {
            guard let o = try JSONValue.parse(payload).objectValue else { throw TestError("not a JSON object: \(text)") }
            return o
        }
    }

    let fd: Int32
    private var buffer: [UInt8] = []
    var answerPings = true
    private(set) var pingsSeen = 0

    /// `receiveBuffer`: SO_RCVBUF set before connecting (a small window for a stalled reader).
    init(port: Int, timeoutMs: Int = 3000, receiveBuffer: Int32? = nil) throws {
        fd = try connectLoopback(port: port, timeoutMs: timeoutMs, receiveBuffer: receiveBuffer)
    }

    deinit { close(fd) }

    func setTimeout(ms: Int) {
        var tv = timeval(tv_sec: ms / 1000, tv_usec: Int((ms % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    /// Sends the upgrade request; returns the status and the (lower-cased) response headers.
    func handshake(path: String = "/ws", headers: [String: String] = [:], version: String = "13",
                   key: String = TestWebSocketClient.key, readResponse: Bool = true) throws -> (status: Int, headers: [String: String]) {
        var req = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        req += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: \(version)\r\n"
        for (k, v) in headers { req += "\(k): \(v)\r\n" }
        send(Array((req + "\r\n").utf8))
        guard readResponse else { return (0, [:]) }
        while true {
            if let end = headEnd() {
                let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
                let statusParts = lines[0].split(separator: " ")
                guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestError("bad status line \(lines[0])") }
                var h: [String: String] = [:]
                for l in lines.dropFirst() {
                    guard let c = l.firstIndex(of: ":") else { continue }
                    h[l[..<c].lowercased()] = l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)
                }
                var consumed = end + 4
                if status != 101 { consumed += min(buffer.count - consumed, Int(h["content-length"] ?? "0") ?? 0) }
                buffer.removeFirst(consumed)
                return (status, h)
            }
            guard fill() else { throw TestError("no handshake response") }
        }
    }

    func send(_ bytes: [UInt8]) { sendAll(fd, bytes) }

    func sendText(_ s: String) { send(ClientFrame.text(s)) }

    /// The next frame, or nil on timeout/EOF. Pings are answered and skipped when `answerPings`.
    func readFrame() -> Frame? {
        while true {
            if let f = parseFrame() {
                if f.opcode == 9 {
                    pingsSeen += 1
                    if answerPings { send(ClientFrame.make(10, f.payload)); continue }
                }
                return f
            }
            guard fill() else { return nil }
        }
    }

    /// Reads for `seconds` (answering pings when `answerPings`); returns the first other
    /// frame, or nil if none came. The receive timeout is left at 200 ms.
    func idle(seconds: Double) -> Frame? {
        setTimeout(ms: 200)
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let f = readFrame() { return f }
        }
        return nil
    }

    /// The next text message as JSON (skipping nothing else: a non-text frame is an error).
    func readMessage() throws -> [String: JSONValue] {
        guard let f = readFrame() else { throw TestError("no message (timeout or closed)") }
        guard f.opcode == 1 else { throw TestError("expected a text frame, got opcode \(f.opcode) \(f.payload)") }
        return try f.json()
    }

    /// True when the server closes TCP (EOF) within the timeout.
    func waitForEOF() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    @discardableResult
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    private func parseFrame() -> Frame? {
        guard buffer.count >= 2 else { return nil }
        let fin = buffer[0] & 0x80 != 0
        let opcode = buffer[0] & 0x0F
        var len = Int(buffer[1] & 0x7F)
        var off = 2
        if len == 126 {
            guard buffer.count >= 4 else { return nil }
            len = Int(buffer[2]) << 8 | Int(buffer[3]); off = 4
        } else if len == 127 {
            guard buffer.count >= 10 else { return nil }
            len = 0
            for i in 2..<10 { len = len << 8 | Int(buffer[i]) }
            off = 10
        }
        guard buffer.count >= off + len else { return nil }
        let payload = Array(buffer[off..<(off + len)])
        buffer.removeFirst(off + len)
        return Frame(opcode: opcode, fin: fin, payload: payload)
    }
}
