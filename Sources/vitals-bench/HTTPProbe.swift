import Glibc

/// One HTTP/1.1 GET over a fresh loopback connection, read to EOF (`Connection: close`).
enum HTTPProbe {
    enum Outcome {
        case refused
        case response(status: Int, bytes: Int)
    }

    static func get(port: UInt16, path: String, timeoutMs: Int = 5_000) throws(BenchError) -> Outcome {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            if errno == ECONNREFUSED { return .refused }
            throw BenchError("connect to port \(port): \(String(cString: strerror(errno)))")
        }

        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            // A daemon that accepted and then reset (still starting) counts as not ready.
            if n <= 0 { return .refused }
            sent += n
        }

        var head: [UInt8] = []
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET && total == 0 { return .refused }
                throw BenchError("read from port \(port): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            if head.count < 16 { head.append(contentsOf: buffer[0..<min(n, 16 - head.count)]) }
            total += n
        }
        if total == 0 { return .refused }
        return .response(status: statusCode(head) ?? 0, bytes: total)
    }

    /// "HTTP/1.1 200 ..." → 200.
    static func statusCode(_ head: [UInt8]) -> Int? {
        guard head.count >= 12, head.starts(with: Array("HTTP/1.".utf8)) else { return nil }
        return Int(String(decoding: head[9..<12], as: UTF8.self))
    }
}
