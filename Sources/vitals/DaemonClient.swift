import Glibc
import VitalsSupport
import VitalsCore

/// A blocking HTTP/1.1 GET or POST to the local daemon, for the command-line tools
/// (`vitals status`, `vitals run`): one request per connection, read until close.
struct DaemonClient {
    var host: String
    var port: Int
    var token: String?
    var timeoutMs = 5000

    struct Response { var status: Int; var body: [UInt8] }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The daemon as its config describes it: a wildcard listen address is reached on loopback.
    init(config: VitalsConfig, token: String?) {
        switch config.listenAddress {
        case "0.0.0.0", "localhost": host = "127.0.0.1"
        case "::": host = "::1"
        default: host = config.listenAddress
        }
        port = config.port
        self.token = token
    }

    func get(_ path: String) throws(Failure) -> Response { try request("GET", path, body: nil) }

    func request(_ method: String, _ path: String, body: [UInt8]?) throws(Failure) -> Response {
        let fd = try connect()
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        var out = Array(head.utf8) + (body ?? [])
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "cannot send to \(host):\(port): \(String(cString: strerror(errno)))") }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { response += chunk[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure(description: "no answer from \(host):\(port): \(String(cString: strerror(errno)))") }
            break
        }
        out = []
        return try parse(response)
    }

    private func connect() throws(Failure) -> Int32 {
        guard let address = IPAddress.parse(host) else { throw Failure(description: "\(host) is not an IP address") }
        let fd: Int32
        var rc: Int32
        switch address {
        case .v4(let a):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(port).bigEndian)
            sa.sin_addr.s_addr = a
            setTimeouts(fd)
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6(let a):
            fd = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = in_port_t(UInt16(port).bigEndian)
            sa.sin6_addr = a
            setTimeouts(fd)
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        guard rc == 0 else {
            let e = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot reach the daemon at \(host):\(port) (\(e)); is it running?")
        }
        return fd
    }

    private func setTimeouts(_ fd: Int32) {
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    private func parse(_ bytes: [UInt8]) throws(Failure) -> Response {
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }) else {
            throw Failure(description: "incomplete answer from \(host):\(port)")
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "not an HTTP answer") }
        return Response(status: status, body: Array(bytes[(end + 4)...]))
    }
}
