import VitalsSupport

/// One thing wrong with a request's input: where (`body.label`, `query.points`), what was
/// sent, and what would have been accepted. Becomes the `details` of a 422.
public struct ValidationIssue: Error, Sendable, Equatable {
    public let field: String
    /// The value as sent: JSON for a body, the raw string for query and path parameters.
    public let value: JSONValue?
    public let allowed: String
    public let message: String
}

/// Checks JSON values against a Schema, and turns query/path strings into typed values.
/// Stops at the first issue: one clear message beats a list the client must untangle.
public enum SchemaValidator {
    public static func validate(_ v: JSONValue, _ s: Schema, at path: String) throws(ValidationIssue) {
        func fail(_ why: String) -> ValidationIssue {
            ValidationIssue(field: path, value: v, allowed: s.allowedText, message: "\(path) \(why); expected \(s.allowedText)")
        }
        if case .null = v {
            if s.nullable { return }
            throw fail("is null")
        }
        switch s.kind {
        case .string(let minLen, let maxLen, let values, _):
            guard let str = v.stringValue else { throw fail("is \(v.kindName)") }
            if let values {
                guard values.contains(str) else { throw fail("is not an allowed value") }
                return
            }
            let n = str.unicodeScalars.count
            if n < minLen { throw fail("is too short (\(n) characters)") }
            if let maxLen, n > maxLen { throw fail("is too long (\(n) characters)") }
        case .integer(let lo, let hi):
            guard case .number(let d) = v, d.rounded() == d else { throw fail("is \(v.kindName == "number" ? "not a whole number" : v.kindName)") }
            guard d >= Double(lo), d <= Double(hi) else { throw fail("is out of range") }
            if let m = s.multipleOf, m > 0, Int64(d) % m != 0 { throw fail("is not a multiple of \(m)") }
        case .number(let lo, let hi, let exclusive):
            guard let d = v.doubleValue else { throw fail("is \(v.kindName)") }
            if let lo, exclusive ? d <= lo : d < lo { throw fail("is too small") }
            if let hi, d > hi { throw fail("is too large") }
        case .boolean:
            guard v.boolValue != nil else { throw fail("is \(v.kindName)") }
        case .constant(let b):
            guard v.boolValue == b else { throw fail("is not \(b)") }
        case .array(let items, let minItems, let maxItems):
            guard let arr = v.arrayValue else { throw fail("is \(v.kindName)") }
            if arr.count < minItems || (maxItems.map { arr.count > $0 } ?? false) { throw fail("has \(arr.count) items") }
            for (i, item) in arr.enumerated() { try validate(item, items, at: "\(path)[\(i)]") }
        case .object(let props, let extra):
            guard let obj = v.objectValue else { throw fail("is \(v.kindName)") }
            for p in props {
                if let pv = obj[p.name] { try validate(pv, p.schema, at: "\(path).\(p.name)") }
                else if p.required {
                    throw ValidationIssue(field: "\(path).\(p.name)", value: nil, allowed: p.schema.allowedText,
                                          message: "\(path).\(p.name) is required; expected \(p.schema.allowedText)")
                }
            }
            // Sorted so the same bad body always names the same key.
            for key in obj.keys.sorted() where !props.contains(where: { $0.name == key }) {
                guard let extra else {
                    let names = props.map(\.name).joined(separator: ", ")
                    throw ValidationIssue(field: "\(path).\(key)", value: obj[key], allowed: "only the fields \(names)",
                                          message: "\(path).\(key) is not a known field; allowed fields: \(names)")
                }
                try validate(obj[key]!, extra, at: "\(path).\(key)")
            }
        case .anything:
            return
        case .anyOf(let options):
            for o in options {
                do throws(ValidationIssue) { try validate(v, o, at: path); return } catch {}
            }
            throw fail("matches none of the allowed shapes")
        }
    }

    /// A query or path parameter's text as the typed JSON value its schema declares, then
    /// validated. Lists are comma-separated (`metrics=a,b`: OpenAPI form style, explode off).
    public static func coerce(_ raw: String, _ s: Schema, at path: String) throws(ValidationIssue) -> JSONValue {
        func fail(_ why: String) -> ValidationIssue {
            ValidationIssue(field: path, value: .string(raw), allowed: s.allowedText, message: "\(path)=\(raw) \(why); expected \(s.allowedText)")
        }
        let typed: JSONValue
        switch s.kind {
        case .integer:
            guard let n = Int64(raw) else { throw fail("is not an integer") }
            typed = .number(Double(n))
            // Int64 → Double rounds above 2^53: compare exactly here instead.
            if case .integer(let lo, let hi) = s.kind {
                guard n >= lo, n <= hi else { throw fail("is out of range") }
                if let m = s.multipleOf, m > 0, n % m != 0 { throw fail("is not a multiple of \(m)") }
                return typed
            }
        case .number:
            guard let d = Double(raw), d.isFinite, !raw.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) else { throw fail("is not a number") }
            typed = .number(d)
        case .boolean:
            guard raw == "true" || raw == "false" else { throw fail("is not true or false") }
            typed = .bool(raw == "true")
        case .array(let items, _, _):
            // An empty value is the empty list (how `?topics=` and a serialized [] read).
            let parts = raw.isEmpty ? [] : raw.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmedWhitespace) }
            var out: [JSONValue] = []
            for (i, p) in parts.enumerated() { out.append(try coerce(p, items, at: "\(path)[\(i)]")) }
            typed = .array(out)
        default:
            typed = .string(raw)
        }
        do throws(ValidationIssue) { try validate(typed, s, at: path) } catch {
            // "query.sort is not ..." → "query.sort=zzz is not ...": the text as sent reads better.
            let rest = error.field == path ? String(error.message.dropFirst(path.count)) : ": " + error.message
            throw ValidationIssue(field: error.field.hasPrefix(path + "[") ? error.field : path, value: .string(raw),
                                  allowed: error.allowed, message: "\(path)=\(raw)\(rest)")
        }
        return typed
    }
}
