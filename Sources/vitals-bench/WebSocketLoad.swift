import Glibc
import CLinux

/// `ws-load`: N WebSocket clients subscribed to `system_stats`, on one epoll thread.
/// For every message received in the measuring window it records the delay from the
/// tick (the message's `ts`) to its arrival, and per client it checks `seq` for gaps,
/// so "every client received every tick" is counted rather than assumed.
enum WebSocketLoad {
    final class Client {
        let fd: Int32
        var buffer: [UInt8] = []
        var upgraded = false
        var firstSeq: UInt64 = 0
        var lastSeq: UInt64 = 0
        var received = 0
        var missed: UInt64 = 0
        init(fd: Int32) { self.fd = fd }
    }

    static func run(port: UInt16, count: Int, seconds: Int, warmupSeconds: Int = 2) throws(BenchError) -> String {
        let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw BenchError("epoll_create1 failed") }
        var clients: [Int32: Client] = [:]
        let request = Array("GET /ws?topics=system_stats HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8)
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno))) after \(clients.count) clients (raise ulimit -n)") }
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(port.bigEndian)
            sa.sin_addr.s_addr = inet_addr("127.0.0.1")
            let rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard rc == 0 else { throw BenchError("connect: \(String(cString: strerror(errno))) after \(clients.count) clients") }
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var ev = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(fd)))
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
            clients[fd] = Client(fd: fd)
        }

        var delays: [Double] = []
        delays.reserveCapacity(count * seconds * 2 + 16)
        let start = Clock.monotonicNs()
        let measureFrom = start + UInt64(warmupSeconds) * 1_000_000_000
        let end = measureFrom + UInt64(seconds) * 1_000_000_000
        var measuring = false
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var closedByServer = 0
        while true {
            let now = Clock.monotonicNs()
            if now >= end { break }
            if !measuring && now >= measureFrom {
                measuring = true
                for c in clients.values { c.firstSeq = 0; c.lastSeq = 0; c.received = 0; c.missed = 0 }
            }
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, Int32($0.count), 100) }
            if n <= 0 { continue }
            for i in 0..<Int(n) {
                let fd = Int32(truncatingIfNeeded: events[i].data.u64)
                guard let c = clients[fd] else { continue }
                while true {
                    let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if got > 0 {
                        c.buffer.append(contentsOf: chunk[0..<got])
                        continue
                    }
                    if got == 0 {
                        closedByServer += 1
                        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
                        close(fd)
                        clients[fd] = nil
                    }
                    break
                }
                let arrivalMs = Double(wallMicros()) / 1000
                consume(c, arrivalMs: arrivalMs, measuring: measuring, delays: &delays)
            }
        }
        let upgraded = clients.values.filter(\.upgraded).count
        let expectedPerClient = clients.values.map(\.received).max() ?? 0
        let missed = clients.values.reduce(0) { $0 + $1.missed }
        // A fan-out in progress at either edge of the window reaches some clients inside it
        // and others outside, so counts may differ by one at each edge: a client misses
        // ticks when its seq has gaps, or it starts later or ends earlier than the others.
        let measured = clients.values.filter { $0.received > 0 }
        let firstAll = measured.map(\.firstSeq).min() ?? 0
        let lastAll = measured.map(\.lastSeq).max() ?? 0
        let clientsMissing = clients.values.filter {
            $0.missed > 0 || $0.received == 0 || $0.firstSeq > firstAll + 1 || $0.lastSeq + 1 < lastAll
        }.count
        let received = clients.values.reduce(0) { $0 + $1.received }
        for fd in clients.keys { close(fd) }
        close(epfd)
        delays.sort()
        return "clients=\(count) upgraded=\(upgraded) closed_by_server=\(closedByServer) messages=\(received) "
            + "max_per_client=\(expectedPerClient) missed_seq=\(missed) clients_missing=\(clientsMissing) "
            + "delay_p50_ms=\(Fixed.format(percentile(delays, 50), 2)) delay_p99_ms=\(Fixed.format(percentile(delays, 99), 2)) "
            + "delay_max_ms=\(Fixed.format(delays.last ?? .nan, 2))"
    }

    private static func wallMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// Parses the 101 head, then whole unmasked server frames; answers pings.
    private static func consume(_ c: Client, arrivalMs: Double, measuring: Bool, delays: inout [Double]) {
        var off = 0
        if !c.upgraded {
            guard let end = find(c.buffer, [13, 10, 13, 10]) else { return }
            guard c.buffer.count > 12, c.buffer[9] == UInt8(ascii: "1"), c.buffer[10] == UInt8(ascii: "0"), c.buffer[11] == UInt8(ascii: "1") else {
                c.buffer.removeAll(); return
            }
            c.upgraded = true
            off = end + 4
        }
        while c.buffer.count - off >= 2 {
            let opcode = c.buffer[off] & 0x0F
            var len = Int(c.buffer[off + 1] & 0x7F)
            var header = 2
            if len == 126 {
                guard c.buffer.count - off >= 4 else { break }
                len = Int(c.buffer[off + 2]) << 8 | Int(c.buffer[off + 3]); header = 4
            } else if len == 127 {
                guard c.buffer.count - off >= 10 else { break }
                len = 0
                for k in 2..<10 { len = len << 8 | Int(c.buffer[off + k]) }
                header = 10
            }
            guard c.buffer.count - off >= header + len else { break }
            let payload = (off + header)..<(off + header + len)
            if opcode == 0x9 {
                // Pong with the same payload, masked with a zero key (any key is valid).
                var pong: [UInt8] = [0x8A, 0x80 | UInt8(len), 0, 0, 0, 0]
                pong.append(contentsOf: c.buffer[payload])
                _ = pong.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            } else if opcode == 0x1, measuring {
                let head = c.buffer[payload.lowerBound..<min(payload.upperBound, payload.lowerBound + 160)]
                if let ts = number(after: Array("\"ts\":".utf8), in: head), let seq = number(after: Array("\"seq\":".utf8), in: head) {
                    delays.append(arrivalMs - Double(ts))
                    if c.lastSeq != 0 && UInt64(seq) > c.lastSeq + 1 { c.missed += UInt64(seq) - c.lastSeq - 1 }
                    c.lastSeq = UInt64(seq)
                    if c.firstSeq == 0 { c.firstSeq = UInt64(seq) }
                    c.received += 1
                }
            }
            off += header + len
        }
        c.buffer.removeFirst(off)
    }

    private static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }

    private static func number(after key: [UInt8], in s: ArraySlice<UInt8>) -> Int64? {
        let a = Array(s)
        guard let at = find(a, key) else { return nil }
        var i = at + key.count
        var v: Int64 = 0
        var digits = 0
        while i < a.count, a[i] >= 48, a[i] <= 57 { v = v * 10 + Int64(a[i] - 48); i += 1; digits += 1 }
        return digits > 0 ? v : nil
    }
}
