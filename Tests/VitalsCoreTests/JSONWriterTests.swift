import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class JSONWriterTests: XCTestCase {
    func testNestedContainersAndNulls() {
        var w = JSONWriter()
        w.beginObject()
        w.field("a", 1)
        w.field("b", nil as Double?)
        w.key("c"); w.beginArray(); w.int(1); w.string("x\"y\n"); w.beginObject(); w.endObject(); w.endArray()
        w.field("d", Double.nan)
        w.field("e", -0.25)
        w.field("f", 2.0)
        w.endObject()
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self),
                       #"{"a":1,"b":null,"c":[1,"x\"y\n",{}],"d":null,"e":-0.25,"f":2}"#)
    }

    func testOutputParsesBack() throws {
        var w = JSONWriter()
        w.beginArray(); w.double(12345.678901); w.double(-0.0004); w.double(1e20); w.string("\u{01}é"); w.endArray()
        let v = try JSONValue.parse(w.bytes)
        XCTAssertEqual(v.arrayValue?.count, 4)
        XCTAssertEqual(v.arrayValue?[0].doubleValue, 12345.679)
        XCTAssertEqual(v.arrayValue?[1].doubleValue, 0)
        XCTAssertEqual(v.arrayValue?[2].doubleValue, 1e20)
        XCTAssertEqual(v.arrayValue?[3].stringValue, "\u{01}é")
    }

    func testJSONValueRejectsGarbage() {
        XCTAssertThrowsError(try JSONValue.parse(Array("{\"a\":".utf8)))
        XCTAssertEqual(try JSONValue.parse(Array("3".utf8)).intValue, 3)
        XCTAssertNil(try JSONValue.parse(Array("3.5".utf8)).intValue)
    }
}
