import VitalsSupport
import Glibc

/// Formats the peer address of an accepted socket, for logs and rate limits.
func describePeer(_ storage: sockaddr_storage) -> String {
    var s = storage
    var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    switch Int32(s.ss_family) {
    case AF_INET:
        return withUnsafePointer(to: &s) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                var addr = p.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
                return String(cString: buf)
            }
        }
    case AF_INET6:
        return withUnsafePointer(to: &s) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                var addr = p.pointee.sin6_addr
                inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
                return String(cString: buf)
            }
        }
    default:
        return "unknown"
    }
}
