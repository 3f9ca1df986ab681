/// %XX escapes of URLs and hex digits, shared by the HTTP parser and the JSON parser.
public enum PercentCoding {
    /// nil for a malformed escape or bytes that are not UTF-8. Inlinable so that each
    /// caller gets a version specialized for its string type (it runs on every request).
    @inlinable
    public static func decode<S: StringProtocol>(_ s: S, plusAsSpace: Bool) -> String? {
        // Most paths and query values have nothing to decode: no copy byte by byte then.
        if !s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(s)
        }
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                out.append(hv << 4 | lv)
            } else if plusAsSpace && b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else {
                out.append(b)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    @inlinable
    public static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 65...70: return c - 55
        case 97...102: return c - 87
        default: return nil
        }
    }
}
