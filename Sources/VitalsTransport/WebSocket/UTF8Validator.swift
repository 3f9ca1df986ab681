import VitalsSupport
// Incremental UTF-8 validation (RFC 3629 well-formed sequences, as Unicode table 3-7).
// Text messages arrive in fragments and frames arrive in pieces, so the state
// carries across calls; each byte is judged as soon as it is seen, which lets the
// session fail a message on the first byte that cannot start or continue a valid
// sequence (Autobahn 6.4.x "fail fast").
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current code point.
    private var pending: UInt8 = 0
    /// Allowed range for the next continuation byte (narrower right after E0, ED, F0, F4).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private var failed = false

    public init() {}

    /// True while everything seen so far is valid or a valid prefix.
    public var isValid: Bool { !failed }
    /// True when everything seen so far is valid and no code point is left open.
    public var isComplete: Bool { !failed && pending == 0 }

    public mutating func reset() { self = UTF8Validator() }

    /// Validates the next bytes; returns false once any invalid byte has been seen.
    @discardableResult
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if failed { return false }
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return true }
        var i = 0
        while i < count {
            if pending == 0 {
                // ASCII fast path: 8 bytes at a time while no high bit is set.
                while i + 8 <= count {
                    let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    i += 8
                }
                if i >= count { break }
                let b = base.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                switch b {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: pending = 1; lower = 0x80; upper = 0xBF
                case 0xE0: pending = 2; lower = 0xA0; upper = 0xBF  // no overlongs
                case 0xE1...0xEC, 0xEE...0xEF: pending = 2; lower = 0x80; upper = 0xBF
                case 0xED: pending = 2; lower = 0x80; upper = 0x9F  // no surrogates
                case 0xF0: pending = 3; lower = 0x90; upper = 0xBF  // no overlongs
                case 0xF1...0xF3: pending = 3; lower = 0x80; upper = 0xBF
                case 0xF4: pending = 3; lower = 0x80; upper = 0x8F  // max U+10FFFF
                default: failed = true; return false  // 80-C1, F5-FF
                }
            } else {
                let b = base.load(fromByteOffset: i, as: UInt8.self)
                i += 1
                guard b >= lower && b <= upper else { failed = true; return false }
                pending -= 1
                lower = 0x80; upper = 0xBF
            }
        }
        return true
    }

    @discardableResult
    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }
}
