import Foundation
import XCTest
import VitalsSupport
import VitalsTransport
import VitalsCore
import VitalsAPI

/// Timings, not assertions: skipped unless VITALS_BENCH=1. Run in release:
///   VITALS_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter NVMLBenchmarkTests
final class NVMLBenchmarkTests: XCTestCase {
    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["VITALS_BENCH"] == "1" else {
            throw XCTSkip("set VITALS_BENCH=1 to run benchmarks")
        }
    }

    private func microseconds(_ calls: Int, _ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<calls { body() }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1000 / Double(calls)
    }

    func testSampleCost() throws {
        setenv("FAKE_NVML_SCENARIO", "two", 1)
        setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let r = NVMLReader(libraryPath: lib, time: ManualTime())
        XCTAssertEqual(r.sample(includeProcesses: true).devices.count, 2)
        let plain = microseconds(1000) { _ = r.sample(includeProcesses: false) }
        let withProcesses = microseconds(1000) { _ = r.sample(includeProcesses: true) }
        print("BENCH nvml sample(includeProcesses: false): \(plain) us/call (2 fake GPUs, 1000 calls)")
        print("BENCH nvml sample(includeProcesses: true):  \(withProcesses) us/call (2 fake GPUs, 2 processes)")
    }

    func testProcessTableCost() {
        let t = ProcessTable(time: SystemTime())
        _ = t.top(sort: .cpu, limit: 20, gpuProcesses: [])   // warm: the cold pair of scans
        let n = 50
        let us = microseconds(n) { _ = t.top(sort: .cpu, limit: 20, gpuProcesses: []) }
        let count = t.top(sort: .cpu, limit: 100_000, gpuProcesses: []).count
        print("BENCH ProcessTable.top(limit: 20), warm: \(us) us/call over \(count) processes (\(n) calls)")
        let one = microseconds(n) { _ = t.top(sort: .cpu, limit: 1, gpuProcesses: []) }
        print("BENCH ProcessTable.top(limit: 1), warm: \(one) us/call (the scan without per-row details)")
        // A cold call (no kept reading) also pays two scans and the 250 ms settle.
        let cold = ProcessTable(time: SystemTime())
        let coldUs = microseconds(1) { _ = cold.top(sort: .memory, limit: 20, gpuProcesses: []) }
        print("BENCH ProcessTable.top cold (2 scans + 250 ms settle): \(coldUs) us")
    }
}
