/// Appends JSON to a byte buffer without an intermediate object tree.
///
/// The snapshot is encoded twice a second and served thousands of times in between, so
/// encoding is done by hand: it is several times faster than JSONEncoder, writes `null`
/// for absent values (JSONEncoder drops the key) and never emits NaN or infinity.
public struct JSONWriter {
    public private(set) var bytes: [UInt8]
    /// Open containers; at the top level values are written side by side, unseparated.
    private var depth = 0
    /// The open container already has a member: the next one needs a comma. A container
    /// just closed is a member of the one around it, so no stack of flags is needed.
    private var needsComma = false
    private var pendingValueAfterKey = false

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: containers

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); depth += 1; needsComma = false }
    public mutating func endObject() { depth -= 1; bytes.append(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); depth += 1; needsComma = false }
    public mutating func endArray() { depth -= 1; bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// Writes `"key":`; the next value call writes the value.
    public mutating func key(_ k: String) {
        separate()
        writeString(k)
        bytes.append(UInt8(ascii: ":"))
        pendingValueAfterKey = true
    }

    private mutating func separate() {
        if pendingValueAfterKey { pendingValueAfterKey = false; return }
        guard depth > 0 else { return }
        if needsComma { bytes.append(UInt8(ascii: ",")) } else { needsComma = true }
    }

    // MARK: scalars

    public mutating func null() { separate(); append("null") }
    public mutating func bool(_ v: Bool) { separate(); append(v ? "true" : "false") }
    public mutating func string(_ s: String) { separate(); writeString(s) }
    public mutating func int<T: BinaryInteger>(_ v: T) {
        separate()
        // Generic code cannot be specialized from other modules: the common widths go
        // through the concrete digit writer, the rest through String.
        if let x = Int64(exactly: v) {
            appendDecimal(x.magnitude, negative: x < 0)
        } else if let x = UInt64(exactly: v) {
            appendDecimal(x, negative: false)
        } else {
            bytes.append(contentsOf: String(v).utf8)
        }
    }
    // Concrete overloads for the widths the daemon writes: no generic dispatch per number.
    public mutating func int(_ v: Int) { separate(); appendDecimal(UInt64(v.magnitude), negative: v < 0) }
    public mutating func int(_ v: Int64) { separate(); appendDecimal(v.magnitude, negative: v < 0) }
    public mutating func int(_ v: UInt64) { separate(); appendDecimal(v, negative: false) }
    public mutating func int(_ v: Int32) { separate(); appendDecimal(UInt64(v.magnitude), negative: v < 0) }
    public mutating func int(_ v: UInt32) { separate(); appendDecimal(UInt64(v), negative: false) }

    /// Non-finite numbers become `null`: JSON has no NaN and a reader should see "unknown".
    public mutating func double(_ v: Double, decimals: Int = 3) {
        separate()
        guard v.isFinite else { append("null"); return }
        appendFixed(v, decimals: decimals)
    }

    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func int<T: BinaryInteger>(_ v: T?) { if let v { int(v) } else { null() } }
    public mutating func int(_ v: Int?) { if let v { int(v) } else { null() } }
    public mutating func int(_ v: Int64?) { if let v { int(v) } else { null() } }
    public mutating func int(_ v: UInt64?) { if let v { int(v) } else { null() } }
    public mutating func int(_ v: Int32?) { if let v { int(v) } else { null() } }
    public mutating func int(_ v: UInt32?) { if let v { int(v) } else { null() } }
    public mutating func double(_ v: Double?, decimals: Int = 3) { if let v { double(v, decimals: decimals) } else { null() } }

    /// Splices already-encoded JSON (for example a cached snapshot) in as one value.
    public mutating func raw<C: Collection>(_ json: C) where C.Element == UInt8 { separate(); bytes.append(contentsOf: json) }

    // MARK: keyed shorthands

    public mutating func field(_ k: String, _ v: String?) { key(k); string(v) }
    public mutating func field<T: BinaryInteger>(_ k: String, _ v: T?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Int?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Int64?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: UInt64?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Int32?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: UInt32?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Double?, decimals: Int = 3) { key(k); double(v, decimals: decimals) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }

    // MARK: encoding helpers

    private mutating func append(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Decimal digits of `magnitude`, written from the back of a small stack buffer.
    private mutating func appendDecimal(_ magnitude: UInt64, negative: Bool) {
        if negative { bytes.append(UInt8(ascii: "-")) }
        if magnitude < 10 { bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude)); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { p in
            var i = p.count
            var m = magnitude
            while m > 0 {
                i -= 1
                p[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: m % 10)
                m /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[i...]))
        }
    }

    private static let powersOfTen: [UInt64] = (0...18).map { (0..<$0).reduce(UInt64(1)) { p, _ in p * 10 } }

    /// Fixed-point formatting with trailing zeros trimmed; much cheaper than `description`
    /// and never produces exponents, which some chart libraries mishandle.
    private mutating func appendFixed(_ v: Double, decimals: Int) {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        // Past 2^53 fixed point loses meaning; fall back to Swift's shortest representation.
        if scaled >= 9_007_199_254_740_992 || decimals > 18 {
            bytes.append(contentsOf: v.description.utf8)
            return
        }
        let digits = UInt64(scaled)
        if v < 0 && digits != 0 { bytes.append(UInt8(ascii: "-")) }
        let unit = Self.powersOfTen[max(0, decimals)]
        appendDecimal(digits / unit, negative: false)
        var frac = digits % unit
        guard frac != 0 else { return }
        // Trailing zeros trimmed; leading ones kept (0.05 is "05" after the point).
        var width = decimals
        while frac % 10 == 0 { frac /= 10; width -= 1 }
        bytes.append(UInt8(ascii: "."))
        var pad = width - 1
        var probe = frac
        while probe >= 10 { probe /= 10; pad -= 1 }
        for _ in 0..<max(0, pad) { bytes.append(UInt8(ascii: "0")) }
        appendDecimal(frac, negative: false)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Keys and most values need no escaping: one copy of the whole run.
        let copied = s.utf8.withContiguousStorageIfAvailable { p -> Bool in
            for b in p where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            bytes.append(contentsOf: p)
            return true
        } ?? false
        if !copied { writeEscaped(s) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func writeEscaped(_ s: String) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                append("\\u00")
                bytes.append(Self.hex[Int(b >> 4)])
                bytes.append(Self.hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
    }
}
