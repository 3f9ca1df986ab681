import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class JSONValueTests: XCTestCase {
    private func parse(_ s: String) throws -> JSONValue { try JSONValue.parse(Array(s.utf8)) }
    private func error(_ s: String) -> String {
        do { _ = try JSONValue.parse(Array(s.utf8)); return "no error" } catch { return error.description }
    }

    func testValuesAndNesting() throws {
        let v = try parse(#" { "a": [1, -2.5e3, 0, 0.125, true, false, null], "b": {"c": "d"}, "e": [] , "f": {} } "#)
        XCTAssertEqual(v["a"], .array([.number(1), .number(-2500), .number(0), .number(0.125), .bool(true), .bool(false), .null]))
        XCTAssertEqual(v["b"]?["c"]?.stringValue, "d")
        XCTAssertEqual(v["e"], .array([]))
        XCTAssertEqual(v["f"], .object([:]))
        XCTAssertEqual(try parse("1E2").doubleValue, 100)
        XCTAssertEqual(try parse("\"\"").stringValue, "")
    }

    func testStringEscapesAndUnicode() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\b\f\n\r\t""#).stringValue, "a\"b\\c/d\u{8}\u{C}\n\r\t")
        XCTAssertEqual(try parse(#""\u00e9\u4e2d\ud83d\ude00""#).stringValue, "é中😀")
        XCTAssertEqual(try parse("\"é😀\"").stringValue, "é😀")
    }

    func testRejectsWhatRFC8259Rejects() {
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul", "'x'",
                    "{a:1}", "[1 2]", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\nb\"", "1 2", "NaN", "1e999"] {
            XCTAssertTrue(error(bad).hasPrefix("invalid JSON at byte"), "\(bad) → \(error(bad))")
        }
        XCTAssertTrue(error(#"{"a":1,"a":2}"#).contains("duplicate key \"a\""))
        XCTAssertTrue(error(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).contains("nested deeper"))
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
        XCTAssertTrue(error("[1, x]").contains("at byte 4"))
        // Bytes that are not UTF-8 inside a string.
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]))
    }
}
