import VitalsSupport

/// Writes a Schema as JSON Schema 2020-12, the dialect OpenAPI 3.1 uses.
enum JSONSchemaWriter {
    static func write(_ s: Schema, _ w: inout JSONWriter) {
        w.beginObject()
        if let d = s.summary { w.field("description", d) }
        if let d = s.defaultValue { w.key("default"); w.json(d) }
        func type(_ t: String) {
            if s.nullable { w.key("type"); w.beginArray(); w.string(t); w.string("null"); w.endArray() }
            else { w.field("type", t) }
        }
        switch s.kind {
        case .string(let minLen, let maxLen, let values, let format):
            type("string")
            if let values {
                w.key("enum"); w.beginArray()
                for v in values { w.string(v) }
                if s.nullable { w.null() }
                w.endArray()
            }
            if minLen > 0 { w.field("minLength", minLen) }
            if let maxLen { w.field("maxLength", maxLen) }
            if let format { w.field("format", format) }
        case .integer(let lo, let hi):
            type("integer")
            // The full Int64 range means "any integer" (counters in answers): no bounds.
            if !(lo == Int64.min && hi == Int64.max) {
                w.field("minimum", lo)
                w.field("maximum", hi)
            }
            if let m = s.multipleOf { w.field("multipleOf", m) }
        case .number(let lo, let hi, let exclusive):
            type("number")
            if let lo { w.key(exclusive ? "exclusiveMinimum" : "minimum"); w.json(.number(lo)) }
            if let hi { w.key("maximum"); w.json(.number(hi)) }
        case .boolean:
            type("boolean")
        case .constant(let b):
            w.key("const"); w.bool(b)
        case .array(let items, let minItems, let maxItems):
            type("array")
            w.key("items"); write(items, &w)
            if minItems > 0 { w.field("minItems", minItems) }
            if let maxItems { w.field("maxItems", maxItems) }
        case .object(let props, let extra):
            type("object")
            if !props.isEmpty {
                w.key("properties"); w.beginObject()
                for p in props { w.key(p.name); write(p.schema, &w) }
                w.endObject()
                let required = props.filter(\.required)
                if !required.isEmpty {
                    w.key("required"); w.beginArray(); for p in required { w.string(p.name) }; w.endArray()
                }
            }
            w.key("additionalProperties")
            if let extra { write(extra, &w) } else { w.bool(false) }
        case .anyOf(let options):
            w.key("anyOf"); w.beginArray()
            for o in options { write(o, &w) }
            if s.nullable { w.beginObject(); w.field("type", "null"); w.endObject() }
            w.endArray()
        case .anything:
            break
        }
        w.endObject()
    }
}
