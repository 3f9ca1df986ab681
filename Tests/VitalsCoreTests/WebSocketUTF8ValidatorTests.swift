import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class WebSocketUTF8ValidatorTests: XCTestCase {
    private func isValid(_ bytes: [UInt8]) -> Bool {
        var v = UTF8Validator()
        return v.validate(bytes) && v.isComplete
    }

    func testAcceptsWellFormedText() {
        XCTAssertTrue(isValid([]))
        XCTAssertTrue(isValid(Array("Hello-µ@ßöäüàá-UTF-8!!".utf8)))
        XCTAssertTrue(isValid(Array("κόσμε 𝄞 中文 \u{10FFFF}".utf8)))
        XCTAssertTrue(isValid([0xEF, 0xBF, 0xBF, 0xEF, 0xBF, 0xBE]))  // noncharacters are well-formed
        XCTAssertTrue(isValid([0xED, 0x9F, 0xBF]))  // U+D7FF, just below the surrogates
    }

    func testRejectsMalformedSequences() {
        let bad: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF],  // stray continuation, overlong 2-byte
            [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],      // overlong 3-byte
            [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],      // surrogates
            [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong 4-byte
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE],
            [0xC2, 0x41], [0xE1, 0x80, 0x41],
        ]
        for b in bad { XCTAssertFalse(isValid(b), "\(b)") }
    }

    func testTruncatedSequenceIsValidSoFarButIncomplete() {
        var v = UTF8Validator()
        XCTAssertTrue(v.validate([0x61, 0xF0, 0x9D]))
        XCTAssertTrue(v.isValid)
        XCTAssertFalse(v.isComplete)
    }

    func testFourByteCodePointSplitOverThreeChunks() {
        var v = UTF8Validator()
        XCTAssertTrue(v.validate([0xF0]))
        XCTAssertTrue(v.validate([0x9D, 0x84]))
        XCTAssertFalse(v.isComplete)
        XCTAssertTrue(v.validate([0x9E]))
        XCTAssertTrue(v.isComplete)
    }

    func testFailsOnTheFirstImpossibleByte() {
        // U+10FFFF is the ceiling: F4 90 can never become valid, so fail at once.
        var v = UTF8Validator()
        XCTAssertTrue(v.validate([0xCE, 0xBA, 0xF4]))
        XCTAssertFalse(v.validate([0x90]))
        XCTAssertFalse(v.validate([0x41]), "failure is sticky")
        v.reset()
        XCTAssertTrue(v.validate([0x41]))
    }

    func testASCIIFastPathStillSeesLateHighBytes() {
        for position in 0..<20 {
            var bytes = [UInt8](repeating: 0x41, count: 20)
            bytes[position] = 0xFF
            XCTAssertFalse(isValid(bytes), "bad byte at \(position)")
            bytes[position] = 0xC3
            XCTAssertFalse(isValid(bytes), "dangling lead at \(position)")  // followed by 'A' or the end
        }
    }
}
