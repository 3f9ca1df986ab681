import Glibc
import Foundation
import Synchronization
@testable import VitalsSupport

/// A webhook receiver on loopback for the notifier tests: answers each POST with the next
/// status of its script (the last one repeats) and keeps every body it was sent.
final class WebhookReceiver: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let script: [Int]
    private let state = Mutex<(bodies: [[UInt8]], paths: [String], served: Int)>(([], [], 0))
    private let stopped = Atomic<Bool>(false)
    private var thread: Thread?

    /// `port` 0 takes a free one.
    init(port: Int = 0, statuses: [Int]) throws {
        script = statuses
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = ok == 0 && listen(fd, 16) == 0
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.port = Int(UInt16(bigEndian: addr.sin_port))
        guard listening else { close(fd); stopped.store(true, ordering: .relaxed); throw NSError(domain: "bind", code: Int(errno)) }
        let t = Thread { [self] in run() }
        thread = t
        t.start()
    }

    /// A port nothing listens on (taken and let go).
    static func freePort() throws -> Int {
        let r = try WebhookReceiver(statuses: [200])
        let p = r.port
        r.stop()
        return p
    }

    var bodies: [[UInt8]] { state.withLock { $0.bodies } }
    var paths: [String] { state.withLock { $0.paths } }
    var requests: Int { state.withLock { $0.served } }

    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    deinit { stop() }

    private func run() {
        while !stopped.load(ordering: .relaxed) {
            let c = accept(fd, nil, nil)
            if c < 0 { if stopped.load(ordering: .relaxed) { return }; continue }
            handle(c)
            close(c)
        }
    }

    private func handle(_ c: Int32) {
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int? = nil
        var length = 0
        while true {
            let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            data += buf[0..<n]
            if headerEnd == nil, let r = data.firstRange(of: Array("\r\n\r\n".utf8)) {
                headerEnd = r.upperBound
                let head = String(decoding: data[..<r.lowerBound], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let h = headerEnd, data.count >= h + length { break }
        }
        let h = headerEnd!
        let firstLine = String(decoding: data.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let status: Int = state.withLock { s in
            let code = script[min(s.served, script.count - 1)]
            s.served += 1
            if (200..<300).contains(code) {
                s.bodies.append(Array(data[h..<(h + length)]))
                s.paths.append(firstLine.count > 1 ? String(firstLine[1]) : "")
            }
            return code
        }
        let resp = Array("HTTP/1.1 \(status) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        _ = resp.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
