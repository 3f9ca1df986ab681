extension JSONWriter {
    /// Writes a parsed value back out (the offending value in a 422, the effective config).
    public mutating func json(_ v: JSONValue) {
        switch v {
        case .null: null()
        case .bool(let b): bool(b)
        case .number(let d):
            if d == d.rounded(), abs(d) < 9.0e15 { int(Int64(d)) } else { raw(Array(String(d).utf8)) }
        case .string(let s): string(s)
        case .array(let a): beginArray(); for x in a { json(x) }; endArray()
        case .object(let o):
            beginObject()
            for k in o.keys.sorted() { key(k); json(o[k]!) }
            endObject()
        }
    }
}
