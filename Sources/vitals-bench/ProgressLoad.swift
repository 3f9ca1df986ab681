import Glibc
import CLinux
import Foundation
import Synchronization

/// `progress-load`: creates `jobs` jobs (no VRAM), then posts progress for them at a fixed
/// total rate over 4 keep-alive connections, while `subscribers` WebSocket clients of
/// `generation_progress` check that every update of every job arrives, in step order.
enum ProgressLoad {
    final class Sub {
        let fd: Int32
        var buffer: [UInt8] = []
        var upgraded = false
        var lastStep: [Int64: Int64] = [:]
        var received = 0
        var outOfOrder = 0
        init(fd: Int32) { self.fd = fd }
    }

    static func run(port: UInt16, token: String, rate: Int, jobs: Int, subscribers: Int, seconds: Int) throws(BenchError) -> String {
        let auth = "Authorization: Bearer \(token)\r\n"
        @Sendable func post(_ path: String, _ body: String) -> [UInt8] {
            Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\(auth)Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
        }
        let setup = try KeepAlive(port: port)
        var ids: [Int64] = []
        for i in 0..<jobs {
            let (status, body) = try setup.exchangeWithBody(post("/api/v1/jobs", #"{"name": "bench-\#(i)", "vram_bytes": 0}"#))
            guard status == 201, let id = number(after: Array("\"id\":".utf8), in: body) else {
                throw BenchError("creating job \(i): \(status) \(String(decoding: body, as: UTF8.self)) (raise max_concurrent_jobs)")
            }
            ids.append(id)
        }
        close(setup.fd)

        let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        var subs: [Int32: Sub] = [:]
        let upgrade = Array("GET /ws?topics=generation_progress HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8)
        for _ in 0..<subscribers {
            let c = try KeepAlive(port: port)
            _ = upgrade.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            _ = fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK)
            var ev = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(c.fd)))
            epoll_ctl(epfd, EPOLL_CTL_ADD, c.fd, &ev)
            subs[c.fd] = Sub(fd: c.fd)
        }
        let connections = 4
        let perConnection = rate * seconds / connections
        let intervalNs = UInt64(1_000_000_000) * UInt64(connections) / UInt64(rate)
        let results = Mutex<(times: [Double], statuses: [Int: Int], errors: [String])>(([], [:], []))
        let sending = Atomic<Int>(connections)
        let start = RateLoad.monotonicNs() + 500_000_000
        for worker in 0..<connections {
            let mine = stride(from: worker, to: ids.count, by: connections).map { ids[$0] }
            let offset = intervalNs * UInt64(worker) / UInt64(connections)
            Thread {
                defer { sending.subtract(1, ordering: .relaxed) }
                do throws(BenchError) {
                    let conn = try KeepAlive(port: port)
                    defer { close(conn.fd) }
                    var step = [Int64](repeating: 0, count: mine.count)
                    var times: [Double] = []; var statuses: [Int: Int] = [:]
                    for k in 0..<perConnection {
                        let due = start + offset + UInt64(k) * intervalNs
                        RateLoad.sleepUntil(due)
                        let j = k % mine.count
                        step[j] += 1
                        let status = try conn.exchange(post("/api/v1/jobs/\(mine[j])/progress", #"{"step": \#(step[j]), "total_steps": 100000000}"#))
                        times.append(Double(RateLoad.monotonicNs() - due) / 1e6)
                        statuses[status, default: 0] += 1
                    }
                    results.withLock { r in r.times += times; r.statuses.merge(statuses, uniquingKeysWith: +) }
                } catch {
                    results.withLock { $0.errors.append(error.message) }
                }
            }.start()
        }
        var events = [epoll_event](repeating: epoll_event(), count: 1024)
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var drainUntil: UInt64? = nil
        while true {
            let now = RateLoad.monotonicNs()
            if drainUntil == nil && sending.load(ordering: .relaxed) == 0 { drainUntil = now + 2_000_000_000 }
            if let d = drainUntil, now >= d { break }
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, Int32($0.count), 100) }
            if n <= 0 { continue }
            for i in 0..<Int(n) {
                let fd = Int32(truncatingIfNeeded: events[i].data.u64)
                guard let s = subs[fd] else { continue }
                while true {
                    let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if got > 0 { s.buffer.append(contentsOf: chunk[0..<got]); continue }
                    if got == 0 { epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil) }
                    break
                }
                consume(s)
            }
        }
        let r = results.withLock { $0 }
        if let e = r.errors.first { throw BenchError("progress: \(e)") }
        let sent = r.statuses[200] ?? 0
        let expected = sent * subscribers
        let received = subs.values.reduce(0) { $0 + $1.received }
        let outOfOrder = subs.values.reduce(0) { $0 + $1.outOfOrder }
        let complete = subs.values.filter { $0.received == sent }.count
        for fd in subs.keys { close(fd) }
        close(epfd)
        let sorted = r.times.sorted()
        let statuses = r.statuses.keys.sorted().map { "\($0):\(r.statuses[$0]!)" }.joined(separator: ",")
        return "rate=\(rate) jobs=\(jobs) subscribers=\(subscribers) seconds=\(seconds) statuses=\(statuses) "
            + "delivered=\(received) expected=\(expected) complete_subscribers=\(complete) out_of_order=\(outOfOrder) "
            + "post_p50_ms=\(Fixed.format(percentile(sorted, 50), 3)) post_p99_ms=\(Fixed.format(percentile(sorted, 99), 3))"
    }

    /// Frames after the 101 head: each progress event's job and step, checked per job.
    private static func consume(_ s: Sub) {
        var off = 0
        if !s.upgraded {
            guard let end = KeepAlive.headerEnd(s.buffer) else { return }
            s.upgraded = true
            off = end + 4
        }
        while s.buffer.count - off >= 2 {
            let opcode = s.buffer[off] & 0x0F
            var len = Int(s.buffer[off + 1] & 0x7F)
            var header = 2
            if len == 126 {
                guard s.buffer.count - off >= 4 else { break }
                len = Int(s.buffer[off + 2]) << 8 | Int(s.buffer[off + 3]); header = 4
            } else if len == 127 {
                guard s.buffer.count - off >= 10 else { break }
                len = 0
                for k in 2..<10 { len = len << 8 | Int(s.buffer[off + k]) }
                header = 10
            }
            guard s.buffer.count - off >= header + len else { break }
            if opcode == 0x1 {
                let payload = s.buffer[(off + header)..<(off + header + len)]
                if find(payload, Array("\"type\":\"progress\"".utf8)) != nil,
                   let job = number(after: Array("\"job_id\":".utf8), in: payload),
                   let step = number(after: Array("\"step\":".utf8), in: payload) {
                    let last = s.lastStep[job] ?? 0
                    if step != last + 1 { s.outOfOrder += 1 }
                    s.lastStep[job] = step
                    s.received += 1
                }
            }
            off += header + len
        }
        s.buffer.removeFirst(off)
    }

    private static func find<C: Collection>(_ hay: C, _ needle: [UInt8]) -> Int? where C.Element == UInt8, C.Index == Int {
        guard hay.count >= needle.count else { return nil }
        var i = hay.startIndex
        while i <= hay.endIndex - needle.count {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    private static func number<C: Collection>(after key: [UInt8], in s: C) -> Int64? where C.Element == UInt8, C.Index == Int {
        guard let at = find(s, key) else { return nil }
        var i = at + key.count
        var v: Int64 = 0, digits = 0
        while i < s.endIndex, s[i] >= 48, s[i] <= 57 { v = v * 10 + Int64(s[i] - 48); i += 1; digits += 1 }
        return digits > 0 ? v : nil
    }
}
