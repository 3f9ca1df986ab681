import Glibc

/// A small blocking HTTP/1.1 client for the alert notifiers: one POST per connection
/// (`Connection: close`), plain http only (https needs TLS, which the toolchain lacks;
/// put a local proxy in front of an https receiver). Connect and I/O have timeouts. Call
/// it only from a delivery thread: it blocks for up to the timeouts.
public enum HTTPPost {
    public enum Outcome: Sendable, Equatable {
        case status(Int)
        /// Could not connect, send or read a status line (retried like a 5xx).
        case networkError(String)
    }

    public struct Target: Sendable, Equatable {
        public let host: String
        public let port: Int
        public let path: String
    }

    /// `http://host[:port][/path]`, IPv6 hosts in brackets; nil for anything else.
    public static func parse(_ url: String) -> Target? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        guard !authority.isEmpty, !authority.contains("@"), !path.contains(" ") else { return nil }
        var host = String(authority), port = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty { guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { return nil }; port = p }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return Target(host: host, port: port, path: path)
    }

    /// Connects to host:port within the timeout; nil when it could, else why not (TCP probes).
    public static func tcpConnect(host: String, port: Int, timeoutMs: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let first = res else { return "cannot resolve \(host)" }
        defer { freeaddrinfo(res) }
        var why = "connection refused"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            let fd = connect(a.pointee, timeoutMs: timeoutMs, error: &why)
            if fd >= 0 { close(fd); return nil }
            ai = a.pointee.ai_next
        }
        return why
    }

    public static func post(_ url: String, body: [UInt8], contentType: String = "application/json",
                            userAgent: String = "vitals", timeoutMs: Int = 5000, method: String = "POST") -> Outcome {
        guard let t = parse(url) else { return .networkError("not an http:// URL") }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(t.host, String(t.port), &hints, &res) == 0, let first = res else {
            return .networkError("cannot resolve \(t.host)")
        }
        defer { freeaddrinfo(res) }
        var fd: Int32 = -1
        var lastError = "connection refused"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            fd = connect(a.pointee, timeoutMs: timeoutMs, error: &lastError)
            if fd >= 0 { break }
            ai = a.pointee.ai_next
        }
        guard fd >= 0 else { return .networkError(lastError) }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: Int((timeoutMs % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let hostHeader = t.host.contains(":") ? "[\(t.host)]:\(t.port)" : "\(t.host):\(t.port)"
        var req = Array("\(method) \(t.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: \(userAgent)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8)
        req += body
        var sent = 0
        while sent < req.count {
            let n = req.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return .networkError("send: " + String(cString: strerror(errno)))
            }
            sent += n
        }
        // The status line is all we need; read until it is complete.
        var head: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1024)
        while !head.contains(10) && head.count < 8192 {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return .networkError(n == 0 ? "connection closed before a response" : "read: " + String(cString: strerror(errno))) }
            head += buf[0..<n]
        }
        let line = String(decoding: head.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]), (100...599).contains(code) else {
            return .networkError("not an HTTP response")
        }
        return .status(code)
    }

    private static func connect(_ a: addrinfo, timeoutMs: Int, error: inout String) -> Int32 {
        let fd = socket(a.ai_family, a.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), a.ai_protocol)
        guard fd >= 0 else { error = String(cString: strerror(errno)); return -1 }
        if Glibc.connect(fd, a.ai_addr, a.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else { error = "connect: " + String(cString: strerror(errno)); close(fd); return -1 }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let r = poll(&p, 1, Int32(timeoutMs))
            var soErr: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len)
            if r <= 0 || soErr != 0 {
                error = r == 0 ? "connect timed out after \(timeoutMs) ms" : "connect: " + String(cString: strerror(soErr != 0 ? soErr : errno))
                close(fd); return -1
            }
        }
        // Back to blocking: the socket timeouts bound each send and receive.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return fd
    }
}
