import Glibc

/// An IPv4 or IPv6 literal, validated with inet_pton.
public enum IPAddress: Sendable, Equatable {
    case v4(in_addr_t)
    case v6(in6_addr)

    public static func == (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x == y
        case (.v6(var x), .v6(var y)): return memcmp(&x, &y, MemoryLayout<in6_addr>.size) == 0
        default: return false
        }
    }

    public static func parse(_ s: String) -> IPAddress? {
        var a4 = in_addr()
        if inet_pton(AF_INET, s, &a4) == 1 { return .v4(a4.s_addr) }
        var a6 = in6_addr()
        if inet_pton(AF_INET6, s, &a6) == 1 { return .v6(a6) }
        return nil
    }
}

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
