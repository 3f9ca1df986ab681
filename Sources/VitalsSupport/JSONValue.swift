/// A parsed JSON document, for input whose shape must be checked by hand: config files,
/// request bodies and WebSocket messages, where a clear error naming the bad key matters
/// and unknown keys must be noticed.
///
/// The parser is our own (RFC 8259, strict): it is the daemon's only use of JSON input,
/// and parsing by hand keeps Foundation out of the binary, which saves ~3-4 MiB of RSS.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Nesting deeper than this is refused rather than risking the stack.
    public static let maxDepth = 64

    /// Parses a complete document; the error says what and where, in one line.
    public static func parse<C: Collection>(_ bytes: C) throws(ParseError) -> JSONValue where C.Element == UInt8 {
        func run(_ buf: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, ParseError> {
            var parser = JSONParser(buf)
            do { return .success(try parser.document()) } catch { return .failure(error) }
        }
        if let r = bytes.withContiguousStorageIfAvailable(run) { return try r.get() }
        return try Array(bytes).withUnsafeBufferPointer(run).get()
    }

    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var doubleValue: Double? { if case .number(let d) = self { return d }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// An integral number within Int's range; 3.5 or 1e30 are not integers.
    public var intValue: Int? {
        guard case .number(let d) = self, d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// Short name of the kind, for error messages ("expected a number, got string").
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// Recursive-descent parser over a byte buffer.
private struct JSONParser {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    mutating func document() throws(JSONValue.ParseError) -> JSONValue {
        skipSpace()
        let v = try value()
        skipSpace()
        if i < b.count { throw fail("unexpected \(describe(b[i])) after the document") }
        return v
    }

    private func fail(_ what: String) -> JSONValue.ParseError {
        JSONValue.ParseError(description: "invalid JSON at byte \(i): \(what)")
    }

    private func describe(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
    }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws(JSONValue.ParseError) -> JSONValue {
        guard i < b.count else { throw fail("unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail("unexpected \(describe(b[i]))")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONValue.ParseError) {
        let n = word.utf8CodeUnitCount
        guard b.count - i >= n else { throw fail("unexpected end of input") }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { throw fail("unexpected \(describe(b[i + k]))") }
        i += n
    }

    private mutating func enter() throws(JSONValue.ParseError) {
        depth += 1
        if depth > JSONValue.maxDepth { throw fail("nested deeper than \(JSONValue.maxDepth) levels") }
    }

    private mutating func object() throws(JSONValue.ParseError) -> JSONValue {
        try enter()
        i += 1
        var out: [String: JSONValue] = [:]
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; depth -= 1; return .object(out) }
        while true {
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else {
                throw i < b.count ? fail("expected a quoted key, got \(describe(b[i]))") : fail("unexpected end of input")
            }
            let key = try string()
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
            i += 1
            skipSpace()
            let v = try value()
            if out.updateValue(v, forKey: key) != nil { throw fail("duplicate key \"\(key)\"") }
            skipSpace()
            guard i < b.count else { throw fail("unexpected end of input in object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; depth -= 1; return .object(out) }
            throw fail("expected ',' or '}', got \(describe(b[i]))")
        }
    }

    private mutating func array() throws(JSONValue.ParseError) -> JSONValue {
        try enter()
        i += 1
        var out: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; depth -= 1; return .array(out) }
        while true {
            skipSpace()
            out.append(try value())
            skipSpace()
            guard i < b.count else { throw fail("unexpected end of input in array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; depth -= 1; return .array(out) }
            throw fail("expected ',' or ']', got \(describe(b[i]))")
        }
    }

    private mutating func string() throws(JSONValue.ParseError) -> String {
        i += 1 // opening quote
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw fail("unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw fail("unterminated escape") }
            switch b[i] {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard b.count - i >= 7, b[i + 1] == UInt8(ascii: "\\"), b[i + 2] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired surrogate in \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw fail("invalid escape \\\(describe(b[i]))")
            }
            i += 1
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
    }

    /// Reads the 4 hex digits after `\u`; leaves `i` on the last digit.
    private mutating func hex4() throws(JSONValue.ParseError) -> UInt32 {
        guard b.count - i > 4 else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for k in 1...4 {
            guard let d = PercentCoding.hexValue(b[i + k]) else { throw fail("invalid \\u escape") }
            v = v << 4 | UInt32(d)
        }
        i += 4
        return v
    }

    private mutating func number() throws(JSONValue.ParseError) -> Double {
        let start = i
        if b[i] == UInt8(ascii: "-") { i += 1 }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        guard i < b.count, isDigit(b[i]) else { throw fail("invalid number") }
        if b[i] == UInt8(ascii: "0") {
            i += 1
            if i < b.count, isDigit(b[i]) { throw fail("leading zero in number") }
        } else {
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard i < b.count, isDigit(b[i]) else { throw fail("digit expected after '.'") }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard i < b.count, isDigit(b[i]) else { throw fail("digit expected in exponent") }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        guard let d = Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)), d.isFinite else {
            throw fail("number out of range")
        }
        return d
    }
}
