import VitalsSupport
import Glibc
import CLinux

public struct SocketError: Error, CustomStringConvertible {
    public let description: String
    init(_ what: String, errno e: Int32 = errno) {
        description = "\(what): \(String(cString: strerror(e)))"
    }
}

/// A non-blocking listening TCP socket. With several I/O threads each binds its own
/// socket to the same port with SO_REUSEPORT and the kernel spreads connections.
enum ListenSocket {
    static func open(host: String, port: Int, reusePort: Bool) throws(SocketError) -> (fd: Int32, port: Int) {
        let literal = host == "localhost" ? "127.0.0.1" : host
        guard let ip = IPAddress.parse(literal) else { throw SocketError("listen address \(host) is not an IP address", errno: EINVAL) }
        let family: Int32
        switch ip { case .v4: family = AF_INET; case .v6: family = AF_INET6 }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var rc: Int32
        switch ip {
        case .v4(let a):
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = in_port_t(UInt16(port).bigEndian)
            sa.sin_addr = in_addr(s_addr: a)
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        case .v6(let a):
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = in_port_t(UInt16(port).bigEndian)
            sa.sin6_addr = a
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw SocketError("bind \(host):\(port)", errno: e)
        }
        guard listen(fd, 4096) == 0 else {
            let e = errno
            close(fd)
            throw SocketError("listen \(host):\(port)", errno: e)
        }
        return (fd, boundPort(fd) ?? port)
    }

    static func boundPort(_ fd: Int32) -> Int? {
        var ss = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &ss) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard rc == 0 else { return nil }
        return withUnsafePointer(to: &ss) { p -> Int in
            if Int32(p.pointee.ss_family) == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
