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
