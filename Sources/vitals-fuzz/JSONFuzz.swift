import VitalsSupport

/// The JSON parser (config files, request bodies, WebSocket messages) and the writer that
/// encodes every answer. Oracle, a round trip: whatever the parser accepts, written back
/// with JSONWriter's strings and containers (numbers exactly, as Swift's shortest
/// representation) must parse to the same value. Every number is also written with
/// `JSONWriter.double`, the daemon's fixed-point form, and must read back within rounding.
enum JSONFuzz {
    static let roundTrip = FuzzTarget(name: "json") { input in
        guard let doc = try? JSONValue.parse(input) else { return }
        var w = JSONWriter()
        write(doc, &w)
        let again: JSONValue
        do { again = try JSONValue.parse(w.bytes) } catch {
            FuzzTarget.fail("JSON written back does not parse (\(error)): \(String(decoding: w.bytes, as: UTF8.self))")
        }
        if again != doc { FuzzTarget.fail("JSON round trip changed \(doc) into \(again)") }
    }

    static func write(_ v: JSONValue, _ w: inout JSONWriter) {
        switch v {
        case .null: w.null()
        case .bool(let b): w.bool(b)
        case .string(let s): w.string(s)
        case .number(let d):
            checkFixed(d)
            // 1e999 parses to infinity; write it back the same way.
            w.raw((d.isFinite ? d.description : (d < 0 ? "-1e999" : "1e999")).utf8)
        case .array(let a):
            w.beginArray()
            for e in a { write(e, &w) }
            w.endArray()
        case .object(let o):
            w.beginObject()
            for (k, e) in o { w.key(k); write(e, &w) }
            w.endObject()
        }
    }

    static func checkFixed(_ d: Double) {
        for decimals in [1, 3] {
            var w = JSONWriter()
            w.double(d, decimals: decimals)
            guard let back = try? JSONValue.parse(w.bytes) else {
                FuzzTarget.fail("JSONWriter.double(\(d), decimals: \(decimals)) wrote \(String(decoding: w.bytes, as: UTF8.self))")
            }
            guard d.isFinite else {
                if back != .null { FuzzTarget.fail("JSONWriter.double(\(d)) is not null") }
                continue
            }
            var scale = 1.0
            for _ in 0..<decimals { scale *= 10 }
            let tolerance = 0.5 / scale * (1 + 1e-9) + abs(d).ulp * 4
            guard let x = back.doubleValue, abs(x - d) <= tolerance else {
                FuzzTarget.fail("JSONWriter.double(\(d), decimals: \(decimals)) reads back as \(back)")
            }
        }
    }
}
