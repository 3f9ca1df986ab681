import Glibc
import Foundation
import Synchronization
import CLinux

/// Open-loop load at a fixed rate over a few keep-alive connections (Debian's wrk has no
/// `-R`): each request has a scheduled send time, and its latency counts from that time, so
/// a slow answer that delays the next send is charged to the figures, not hidden.
enum RateLoad {
    static func run(port: UInt16, method: String, path: String, body: String?, rate: Int, seconds: Int,
                    connections: Int, token: String? = nil) throws(BenchError) -> String {
        guard rate > 0, seconds > 0, connections > 0 else { throw BenchError("rate, seconds and connections must be > 0") }
        let perConnection = rate * seconds / connections
        let intervalNs = UInt64(1_000_000_000) * UInt64(connections) / UInt64(rate)
        let payload = body.map { Array($0.utf8) } ?? []
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + payload
        let results = Mutex<(times: [Double], errors: [String], statuses: [Int: Int])>(([], [], [:]))
        let start = monotonicNs() + 200_000_000
        // One thread per connection: each blocks between sends, so none may wait for a free
        // core in a pool (concurrentPerform runs only as many at once as there are CPUs).
        let done = DispatchGroup()
        for worker in 0..<connections {
            done.enter()
            let offset = intervalNs * UInt64(worker) / UInt64(connections)
            Thread {
                defer { done.leave() }
                do throws(BenchError) {
                    let (times, statuses) = try drive(port: port, request: request, firstDue: start + offset,
                                                      intervalNs: intervalNs, count: perConnection)
                    results.withLock { r in r.times += times; r.statuses.merge(statuses, uniquingKeysWith: +) }
                } catch {
                    results.withLock { $0.errors.append(error.message) }
                }
            }.start()
        }
        done.wait()
        let r = results.withLock { $0 }
        if let e = r.errors.first { throw BenchError("\(method) \(path): \(e)") }
        let sorted = r.times.sorted()
        let statuses = r.statuses.keys.sorted().map { "\($0):\(r.statuses[$0]!)" }.joined(separator: ",")
        return "rate=\(rate) seconds=\(seconds) connections=\(connections) n=\(sorted.count) statuses=\(statuses) "
            + "median_ms=\(Fixed.format(percentile(sorted, 50), 3)) p99_ms=\(Fixed.format(percentile(sorted, 99), 3)) "
            + "max_ms=\(Fixed.format(sorted.last ?? .nan, 3))"
    }

    /// One connection's share: `count` requests, the k-th due at firstDue + k × interval.
    static func drive(port: UInt16, request: [UInt8], firstDue: UInt64, intervalNs: UInt64,
                      count: Int) throws(BenchError) -> ([Double], [Int: Int]) {
        var times: [Double] = []
        times.reserveCapacity(count)
        var statuses: [Int: Int] = [:]
        let conn = try KeepAlive(port: port)
        defer { close(conn.fd) }
        for _ in 0..<5 { _ = try conn.exchange(request) }  // warm-up, untimed
        for k in 0..<count {
            let due = firstDue + UInt64(k) * intervalNs
            sleepUntil(due)
            let status = try conn.exchange(request)
            times.append(Double(monotonicNs() - due) / 1e6)
            statuses[status, default: 0] += 1
        }
        return (times, statuses)
    }

    static func monotonicNs() -> UInt64 { Clock.monotonicNs() }

    static func sleepUntil(_ ns: UInt64) {
        let now = monotonicNs()
        guard ns > now else { return }
        var ts = timespec(tv_sec: Int((ns - now) / 1_000_000_000), tv_nsec: Int((ns - now) % 1_000_000_000))
        var rest = timespec()
        while nanosleep(&ts, &rest) != 0 && errno == EINTR { ts = rest }
    }
}

/// One keep-alive HTTP/1.1 connection: send a request, read one whole answer (by Content-Length).
struct KeepAlive {
    let fd: Int32

    init(port: UInt16) throws(BenchError) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw BenchError("connect to port \(port): \(String(cString: strerror(errno)))") }
    }

    /// Sends the request and returns the answer's status once its whole body has arrived.
    func exchange(_ request: [UInt8]) throws(BenchError) -> Int { try exchangeWithBody(request).status }

    func exchangeWithBody(_ request: [UInt8]) throws(BenchError) -> (status: Int, body: [UInt8]) {
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var needed: Int? = nil
        while needed.map({ data.count < $0 }) ?? true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw BenchError("connection closed or timed out mid-answer") }
            data.append(contentsOf: buffer[0..<n])
            if needed == nil, let end = Self.headerEnd(data) {
                let head = String(decoding: data[0..<end], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters()) } ?? 0
                needed = end + 4 + length
            }
        }
        let bodyStart = (Self.headerEnd(data) ?? data.count) + 4
        return (HTTPProbe.statusCode(Array(data.prefix(16))) ?? 0, bodyStart < data.count ? Array(data[bodyStart...]) : [])
    }

    static func headerEnd(_ d: [UInt8]) -> Int? {
        guard d.count >= 4 else { return nil }
        for i in 0...(d.count - 4) where d[i] == 13 && d[i + 1] == 10 && d[i + 2] == 13 && d[i + 3] == 10 { return i }
        return nil
    }
}

private extension Substring {
    func trimmingCharacters() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
