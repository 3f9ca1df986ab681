import VitalsSupport

/// A small JSON Schema: enough to declare a route's query, path and body input once, so
/// the same declaration validates requests (SchemaValidator) and describes them in the
/// OpenAPI document (OpenAPIDocument), FastAPI-style. Response shapes use it too.
public struct Schema: Sendable {
    public indirect enum Kind: Sendable {
        /// `values` makes it an enumeration; lengths count Unicode scalars, as JSON Schema does.
        case string(minLength: Int, maxLength: Int?, values: [String]?, format: String?)
        case integer(min: Int64, max: Int64)
        case number(min: Double?, max: Double?, exclusiveMin: Bool)
        case boolean
        case array(items: Schema, minItems: Int, maxItems: Int?)
        /// `extra`: the schema of keys not listed (a map), or nil to refuse unknown keys.
        case object(properties: [Property], extra: Schema?)
        case anyOf([Schema])
        case constant(Bool)
        /// Any JSON value (error details, the parts of the OpenAPI document itself).
        case anything
    }

    public struct Property: Sendable {
        public let name: String
        public let schema: Schema
        public let required: Bool
    }

    public var kind: Kind
    public var nullable = false
    public var summary: String? = nil
    public var defaultValue: JSONValue? = nil
    /// For integers: the value must be a multiple of this (VAE tile sizes step by 64).
    public var multipleOf: Int64? = nil

    public init(_ kind: Kind) { self.kind = kind }

    // MARK: builders

    public static func string(minLength: Int = 0, maxLength: Int? = nil, format: String? = nil) -> Schema {
        Schema(.string(minLength: minLength, maxLength: maxLength, values: nil, format: format))
    }
    public static func oneOf(_ values: [String]) -> Schema {
        Schema(.string(minLength: 0, maxLength: nil, values: values, format: nil))
    }
    /// Bounds are always given: an unbounded integer would invite values no Int64 holds.
    public static func integer(_ range: ClosedRange<Int64> = Int64.min...Int64.max) -> Schema {
        Schema(.integer(min: range.lowerBound, max: range.upperBound))
    }
    public static func number(min: Double? = nil, max: Double? = nil, exclusiveMin: Bool = false) -> Schema {
        Schema(.number(min: min, max: max, exclusiveMin: exclusiveMin))
    }
    public static let boolean = Schema(.boolean)
    public static let anything = Schema(.anything)
    public static func constant(_ b: Bool) -> Schema { Schema(.constant(b)) }
    public static func array(_ items: Schema, minItems: Int = 0, maxItems: Int? = nil) -> Schema {
        Schema(.array(items: items, minItems: minItems, maxItems: maxItems))
    }
    /// An object with exactly these keys (all present), refusing others.
    public static func object(_ required: KeyValuePairs<String, Schema>, optional: KeyValuePairs<String, Schema> = [:]) -> Schema {
        let props = required.map { Property(name: $0.key, schema: $0.value, required: true) }
            + optional.map { Property(name: $0.key, schema: $0.value, required: false) }
        return Schema(.object(properties: props, extra: nil))
    }
    /// An object whose keys are data (metric names, topic names), all with one value shape.
    public static func map(_ values: Schema) -> Schema { Schema(.object(properties: [], extra: values)) }
    public static func anyOf(_ options: [Schema]) -> Schema { Schema(.anyOf(options)) }

    /// The same schema that also admits `null` (unknown values are `null`, never absent).
    public var orNull: Schema { var s = self; s.nullable = true; return s }
    public func described(_ text: String) -> Schema { var s = self; s.summary = text; return s }
    public func defaulting(_ v: JSONValue) -> Schema { var s = self; s.defaultValue = v; return s }
    public func multiple(of step: Int64) -> Schema { var s = self; s.multipleOf = step; return s }

    /// What the schema allows, in words, for the `allowed` of a 422.
    public var allowedText: String {
        let base: String
        switch kind {
        case .string(let minLen, let maxLen, let values, let format):
            if let values { base = "one of " + values.joined(separator: ", ") }
            else if let maxLen, minLen > 0 { base = "a string of \(minLen) to \(maxLen) characters" }
            else if let maxLen { base = "a string of at most \(maxLen) characters" }
            else if minLen > 0 { base = "a string of at least \(minLen) characters" }
            else { base = format.map { "a string (\($0))" } ?? "a string" }
        case .integer(let lo, let hi):
            base = "an integer from \(lo) to \(hi)" + (multipleOf.map { ", a multiple of \($0)" } ?? "")
        case .number(let lo, let hi, let exclusive):
            switch (lo, hi) {
            case let (lo?, hi?): base = "a number \(exclusive ? "above" : "from") \(Self.trim(lo)) \(exclusive ? "and at most" : "to") \(Self.trim(hi))"
            case let (lo?, nil): base = "a number \(exclusive ? "above" : "of at least") \(Self.trim(lo))"
            case let (nil, hi?): base = "a number of at most \(Self.trim(hi))"
            default: base = "a number"
            }
        case .boolean: base = "true or false"
        case .constant(let b): base = "\(b)"
        case .anything: base = "any value"
        case .array(let items, let minItems, let maxItems):
            base = "a list of " + (minItems > 0 ? "at least \(minItems) " : "") + (minItems > 0 && maxItems != nil ? "and " : "")
                + (maxItems.map { "at most \($0) " } ?? "") + "items, each " + items.allowedText
        case .object(let props, let extra):
            if props.isEmpty, extra != nil { base = "an object" }
            else { base = "an object with " + (extra == nil ? "only " : "") + "the fields " + props.map(\.name).joined(separator: ", ") }
        case .anyOf(let options): base = options.map(\.allowedText).joined(separator: " or ")
        }
        return nullable ? base + ", or null" : base
    }

    static func trim(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
