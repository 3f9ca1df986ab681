/// Appends JSON to a byte buffer without an intermediate object tree.
///
/// The snapshot is encoded twice a second and served thousands of times in between, so
/// encoding is done by hand: it is several times faster than JSONEncoder, writes `null`
/// for absent values (JSONEncoder drops the key) and never emits NaN or infinity.
public struct JSONWriter {
    public private(set) var bytes: [UInt8]
    /// One flag per open container: true until its first member is written.
    private var firstInContainer: [Bool] = []

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: containers

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); firstInContainer.append(true) }
    public mutating func endObject() { firstInContainer.removeLast(); bytes.append(UInt8(ascii: "}")) }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); firstInContainer.append(true) }
    public mutating func endArray() { firstInContainer.removeLast(); bytes.append(UInt8(ascii: "]")) }

    /// Writes `"key":`; the next value call writes the value.
    public mutating func key(_ k: String) {
        separate()
        writeString(k)
        bytes.append(UInt8(ascii: ":"))
        pendingValueAfterKey = true
    }

    private var pendingValueAfterKey = false

    private mutating func separate() {
        if pendingValueAfterKey { pendingValueAfterKey = false; return }
        guard !firstInContainer.isEmpty else { return }
        if firstInContainer[firstInContainer.count - 1] {
            firstInContainer[firstInContainer.count - 1] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    // MARK: scalars

    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }
    public mutating func bool(_ v: Bool) { separate(); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func string(_ s: String) { separate(); writeString(s) }
    public mutating func int<T: BinaryInteger>(_ v: T) { separate(); bytes.append(contentsOf: String(v).utf8) }

    /// Non-finite numbers become `null`: JSON has no NaN and a reader should see "unknown".
    public mutating func double(_ v: Double, decimals: Int = 3) {
        separate()
        guard v.isFinite else { bytes.append(contentsOf: "null".utf8); return }
        appendFixed(v, decimals: decimals)
    }

    public mutating func string(_ s: String?) { if let s { string(s) } else { null() } }
    public mutating func int<T: BinaryInteger>(_ v: T?) { if let v { int(v) } else { null() } }
    public mutating func double(_ v: Double?, decimals: Int = 3) { if let v { double(v, decimals: decimals) } else { null() } }

    /// Splices already-encoded JSON (for example a cached snapshot) in as one value.
    public mutating func raw<C: Collection>(_ json: C) where C.Element == UInt8 { separate(); bytes.append(contentsOf: json) }

    // MARK: keyed shorthands

    public mutating func field(_ k: String, _ v: String?) { key(k); string(v) }
    public mutating func field<T: BinaryInteger>(_ k: String, _ v: T?) { key(k); int(v) }
    public mutating func field(_ k: String, _ v: Double?, decimals: Int = 3) { key(k); double(v, decimals: decimals) }
    public mutating func field(_ k: String, _ v: Bool) { key(k); bool(v) }

    // MARK: encoding helpers

    /// Fixed-point formatting with trailing zeros trimmed; much cheaper than `description`
    /// and never produces exponents, which some chart libraries mishandle.
    private mutating func appendFixed(_ v: Double, decimals: Int) {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        // Past 2^53 fixed point loses meaning; fall back to Swift's shortest representation.
        if scaled >= 9_007_199_254_740_992 {
            bytes.append(contentsOf: v.description.utf8)
            return
        }
        var whole = UInt64(scaled)
        if v < 0 && whole != 0 { bytes.append(UInt8(ascii: "-")) }
        var frac = [UInt8](repeating: UInt8(ascii: "0"), count: decimals)
        var i = decimals - 1
        while i >= 0 {
            frac[i] = UInt8(ascii: "0") + UInt8(whole % 10)
            whole /= 10
            i -= 1
        }
        bytes.append(contentsOf: String(whole).utf8)
        var end = decimals
        while end > 0 && frac[end - 1] == UInt8(ascii: "0") { end -= 1 }
        if end > 0 {
            bytes.append(UInt8(ascii: "."))
            bytes.append(contentsOf: frac[0..<end])
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hex[Int(b >> 4)])
                bytes.append(Self.hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
