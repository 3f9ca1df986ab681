import VitalsSupport
import Glibc

/// Forward-only reader over the bytes of a kernel text file. Hot files (/proc/stat, meminfo,
/// diskstats, net/dev) are parsed through it so a tick allocates no Strings per field.
/// Every method stops at `end`: a truncated or odd line gives nil, never a read past the buffer.
struct ByteCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos: Int
    var end: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        pos = 0
        end = bytes.count
    }

    var isAtEnd: Bool { pos >= end }

    mutating func skipSpaces() {
        while pos < end, bytes[pos] == 32 || bytes[pos] == 9 { pos += 1 }
    }

    /// Splits off the next line (without its newline) and moves past it.
    mutating func nextLine() -> ByteCursor? {
        guard pos < end, let base = bytes.baseAddress else { return nil }
        let start = pos
        var lineEnd = end
        if let hit = memchr(base + start, 10, end - start) {
            lineEnd = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(hit))
        }
        pos = lineEnd < end ? lineEnd + 1 : end
        var line = self
        line.pos = start
        line.end = lineEnd
        return line
    }

    /// Unsigned decimal after optional blanks; nil when there is no digit or it overflows.
    mutating func uint64() -> UInt64? {
        skipSpaces()
        var value: UInt64 = 0
        var sawDigit = false
        while pos < end {
            let digit = bytes[pos] &- 48
            if digit > 9 { break }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            if o1 || o2 { return nil }
            value = sum
            sawDigit = true
            pos += 1
        }
        return sawDigit ? value : nil
    }

    mutating func int() -> Int? {
        guard let v = uint64(), v <= UInt64(Int.max) else { return nil }
        return Int(v)
    }

    /// Plain decimal such as `0.05` or `288.19` (no exponent: the kernel never writes one).
    mutating func double() -> Double? {
        skipSpaces()
        var negative = false
        if pos < end, bytes[pos] == 45 { negative = true; pos += 1 }
        guard let whole = uint64AllowingNoDigits() else { return nil }
        var value = Double(whole.value)
        var sawDigit = whole.sawDigit
        if pos < end, bytes[pos] == 46 {
            pos += 1
            var scale = 0.1
            while pos < end {
                let digit = bytes[pos] &- 48
                if digit > 9 { break }
                value += Double(digit) * scale
                scale *= 0.1
                sawDigit = true
                pos += 1
            }
        }
        guard sawDigit else { return nil }
        return negative ? -value : value
    }

    private mutating func uint64AllowingNoDigits() -> (value: UInt64, sawDigit: Bool)? {
        guard pos < end else { return (0, false) }
        if bytes[pos] &- 48 > 9 { return (0, false) }
        guard let v = uint64() else { return nil }
        return (v, true)
    }

    /// The next run of non-blank bytes, or nil at the end of the line.
    mutating func token() -> Range<Int>? {
        skipSpaces()
        let start = pos
        while pos < end, bytes[pos] != 32, bytes[pos] != 9 { pos += 1 }
        return start < pos ? start..<pos : nil
    }

    /// Bytes up to (not including) `stop`, and moves past `stop`; nil when `stop` is absent.
    mutating func field(until stop: UInt8) -> Range<Int>? {
        skipSpaces()
        let start = pos
        while pos < end, bytes[pos] != stop { pos += 1 }
        guard pos < end else { pos = start; return nil }
        let range = start..<pos
        pos += 1
        return range
    }

    /// True when the next bytes are `byte`; consumes it.
    mutating func skip(_ byte: UInt8) -> Bool {
        guard pos < end, bytes[pos] == byte else { return false }
        pos += 1
        return true
    }

    func equals(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount, let base = bytes.baseAddress else { return false }
        return memcmp(base + range.lowerBound, literal.utf8Start, range.count) == 0
    }

    func hasPrefix(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count >= literal.utf8CodeUnitCount, let base = bytes.baseAddress else { return false }
        return memcmp(base + range.lowerBound, literal.utf8Start, literal.utf8CodeUnitCount) == 0
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Decimal number made of exactly the bytes in `range` (e.g. the `12` of `cpu12`).
    func number(in range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 9 else { return nil }
        var value = 0
        for i in range {
            let digit = bytes[i] &- 48
            if digit > 9 { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}

extension String {
    /// Runs `body` over this string's UTF-8 bytes; lets pure parsers be fed test text.
    func withUTF8Buffer<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var copy = self
        return copy.withUTF8 { body($0) }
    }
}
