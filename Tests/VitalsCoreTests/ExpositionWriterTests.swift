import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsCore

/// The text formats themselves: escaping, non-finite values, one header per family, and
/// what differs between Prometheus 0.0.4 and OpenMetrics 1.0.
final class ExpositionWriterTests: XCTestCase {
    private func text(_ format: ExpositionFormat, _ build: (inout ExpositionWriter) -> Void) -> String {
        var w = ExpositionWriter(format: format)
        build(&w)
        w.finish()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func testLabelValuesEscapeBackslashQuoteAndNewline() {
        let out = text(.prometheus) { w in
            w.family("vitals_x_bytes", help: "Help with \\ and\nnewline.", kind: .gauge, unit: .bytes)
            w.sample(labels: [("mountpoint", #"/mnt/a\b"c"# + "\nd")], 1)
        }
        XCTAssertEqual(out, """
            # HELP vitals_x_bytes Help with \\\\ and\\nnewline.
            # TYPE vitals_x_bytes gauge
            vitals_x_bytes{mountpoint="/mnt/a\\\\b\\"c\\nd"} 1

            """)
    }

    func testNonFiniteValuesAreNeverWrittenAndEmptyFamiliesLeaveNoHeader() {
        let out = text(.prometheus) { w in
            w.family("vitals_empty", help: "Nothing.", kind: .gauge)
            w.sample(.nan)
            w.sample(.infinity)
            w.sample(-.infinity)
            w.family("vitals_some", help: "Some.", kind: .gauge)
            w.sample(.nan)
            w.sample(0.25)
        }
        XCTAssertFalse(out.contains("vitals_empty"), out)
        XCTAssertFalse(out.lowercased().contains("nan"), out)
        XCTAssertFalse(out.lowercased().contains("inf"), out)
        XCTAssertEqual(out, "# HELP vitals_some Some.\n# TYPE vitals_some gauge\nvitals_some 0.25\n")
    }

    func testHelpAndTypeOncePerFamilyAndDuplicatesDropped() {
        let out = text(.prometheus) { w in
            w.family("vitals_a", help: "A.", kind: .gauge)
            w.sample(labels: [("device", "x")], 1)
            w.sample(labels: [("device", "y")], 2)
            w.family("vitals_a", help: "A again.", kind: .gauge)
            w.sample(3)
        }
        XCTAssertEqual(out.components(separatedBy: "# HELP vitals_a ").count - 1, 1)
        XCTAssertEqual(out.components(separatedBy: "# TYPE vitals_a ").count - 1, 1)
        XCTAssertFalse(out.contains("vitals_a 3"), out)
        XCTAssertFalse(out.contains("A again"), out)
    }

    func testCountersAndUnitsInBothFormats() {
        let build: (inout ExpositionWriter) -> Void = { w in
            w.family("vitals_network_receive_bytes", help: "Bytes \"in\".", kind: .counter, unit: .bytes)
            w.sample(labels: [("device", "eth0")], 1234)
        }
        XCTAssertEqual(text(.prometheus, build), """
            # HELP vitals_network_receive_bytes_total Bytes "in".
            # TYPE vitals_network_receive_bytes_total counter
            vitals_network_receive_bytes_total{device="eth0"} 1234

            """)
        XCTAssertEqual(text(.openMetrics, build), """
            # HELP vitals_network_receive_bytes Bytes \\"in\\".
            # TYPE vitals_network_receive_bytes counter
            # UNIT vitals_network_receive_bytes bytes
            vitals_network_receive_bytes_total{device="eth0"} 1234
            # EOF

            """)
    }

    func testNumbers() {
        XCTAssertEqual(ExpositionWriter.number(0), "0")
        XCTAssertEqual(ExpositionWriter.number(-0.0), "0")
        XCTAssertEqual(ExpositionWriter.number(16_384_000_000), "16384000000")
        XCTAssertEqual(ExpositionWriter.number(0.65), "0.65")
        XCTAssertEqual(ExpositionWriter.number(1e-05), "1e-05")
        XCTAssertEqual(Double(ExpositionWriter.number(1e20)), 1e20)
    }

    func testAcceptNegotiation() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        XCTAssertEqual(ExpositionFormat.negotiate(accept: prometheus), .openMetrics)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: nil), .prometheus)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "*/*"), .prometheus)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "text/plain;version=0.0.4"), .prometheus)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text; q=0"), .prometheus)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=0.2, text/plain;q=0.9"), .prometheus)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "APPLICATION/OpenMetrics-Text"), .openMetrics)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: ";;,,;q=x"), .prometheus)
    }
}
