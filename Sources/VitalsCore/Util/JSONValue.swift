import FoundationEssentials

/// A parsed JSON document, for input whose shape must be checked by hand: config files,
/// request bodies and WebSocket messages, where a clear error naming the bad key matters
/// more than Codable's terse decoding errors, and unknown keys must be noticed.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else if let o = try? c.decode([String: JSONValue].self) { self = .object(o) }
        else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a complete document; the error says why in one line.
    public static func parse<C: Collection>(_ bytes: C) throws -> JSONValue where C.Element == UInt8 {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch let DecodingError.dataCorrupted(ctx) {
            let underlying = (ctx.underlyingError.map { "\($0)" }) ?? ctx.debugDescription
            throw ParseError(description: "invalid JSON: \(Self.shorten(underlying))")
        } catch {
            throw ParseError(description: "invalid JSON: \(Self.shorten("\(error)"))")
        }
    }

    private static func shorten(_ s: String) -> String {
        let line = s.split(separator: "\n").first.map(String.init) ?? s
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
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
