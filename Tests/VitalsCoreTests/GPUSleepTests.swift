import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// A GPU suspended by runtime power management is not woken by NVML every 500 ms: its PCI
/// power state is read from sysfs first, and it is reported asleep with its last facts.
final class GPUSleepTests: XCTestCase {
    private var sys: URL!

    /// A sysfs tree with the fake NVML's two GPUs (buses 01 and 41) and an Intel iGPU.
    override func setUpWithError() throws {
        sys = try makeTempDirectory(self)
        try device("0000:00:02.0", vendor: "0x8086", cls: "0x030000", state: "D0", runtime: "active")
        try device("0000:01:00.0", vendor: "0x10de", cls: "0x030000", state: "D0", runtime: "active")
        try device("0000:41:00.0", vendor: "0x10de", cls: "0x030200", state: "D0", runtime: "active")
    }

    private func device(_ addr: String, vendor: String, cls: String, state: String, runtime: String) throws {
        let dir = sys.appendingPathComponent("bus/pci/devices/\(addr)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("power"), withIntermediateDirectories: true)
        try (vendor + "\n").write(to: dir.appendingPathComponent("vendor"), atomically: false, encoding: .utf8)
        try (cls + "\n").write(to: dir.appendingPathComponent("class"), atomically: false, encoding: .utf8)
        try setPower(addr, state: state, runtime: runtime)
    }

    private func setPower(_ addr: String, state: String, runtime: String) throws {
        let dir = sys.appendingPathComponent("bus/pci/devices/\(addr)")
        try (state + "\n").write(to: dir.appendingPathComponent("power_state"), atomically: false, encoding: .utf8)
        try (runtime + "\n").write(to: dir.appendingPathComponent("power/runtime_status"), atomically: false, encoding: .utf8)
    }

    func testReaderFindsOnlyNVIDIADisplayDevices() {
        let r = PCIPowerReader(sysRoot: sys.path)
        XCTAssertEqual(r.read(monotonicMs: 0).map(\.address), ["0000:01:00.0", "0000:41:00.0"])
        XCTAssertEqual(PCIGPUPower.normalize(busId: "00000000:41:00.0"), "0000:41:00.0")
        XCTAssertTrue(PCIGPUPower(address: "x", powerState: "D3cold", runtimeStatus: nil).asleep)
        XCTAssertTrue(PCIGPUPower(address: "x", powerState: "D0", runtimeStatus: "suspended").asleep)
        XCTAssertFalse(PCIGPUPower(address: "x", powerState: "D0", runtimeStatus: "active").asleep)
    }

    func testSleepingGPUIsNotAskedAndShownAsleepThenSampledWhenAwake() throws {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        setenv("FAKE_NVML_SCENARIO", "two", 1)
        setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        let d = try TestDaemon(procRoot: "/proc", sysRoot: sys.path) { $0.gpuEnabled = true; $0.nvmlLibrary = lib }
        var t: Int64 = 1_700_000_000_000
        func tick() { t += 500; d.app.sampler.tick(wallMs: t, monoNs: UInt64(t) * 1_000_000) }
        func devices() throws -> [JSONValue] {
            try XCTUnwrap(d.get("/api/v1/system/stats").json()["gpu"]?["devices"]?.arrayValue)
        }
        tick()
        XCTAssertEqual(try devices().map { $0["state"]?.stringValue }, ["active", "active"])
        let name = try devices()[0]["name"]?.stringValue

        try setPower("0000:01:00.0", state: "D3cold", runtime: "suspended")
        let before = (NVMLFakeLibrary.counter(lib, "fake_nvml_device0_calls"), NVMLFakeLibrary.counter(lib, "fake_nvml_device1_calls"))
        for _ in 0..<4 { tick() }
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_device0_calls"), before.0, "a sleeping GPU is not woken")
        XCTAssertGreaterThan(NVMLFakeLibrary.counter(lib, "fake_nvml_device1_calls"), before.1, "the awake one is sampled")
        let asleep = try devices()[0]
        XCTAssertEqual(asleep["state"]?.stringValue, "asleep")
        XCTAssertEqual(asleep["name"]?.stringValue, name, "its static facts stay")
        XCTAssertNotNil(asleep["memory"]?["total"]?.doubleValue)
        XCTAssertNil(asleep["utilization"]?["gpu"]?.doubleValue, "live figures are unknown, not zero")

        // Both asleep: NVML is not called at all.
        try setPower("0000:41:00.0", state: "D3hot", runtime: "suspended")
        let both = (NVMLFakeLibrary.counter(lib, "fake_nvml_device0_calls"), NVMLFakeLibrary.counter(lib, "fake_nvml_device1_calls"))
        for _ in 0..<3 { tick() }
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_device0_calls"), both.0)
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_device1_calls"), both.1)
        XCTAssertEqual(try devices().map { $0["state"]?.stringValue }, ["asleep", "asleep"])

        try setPower("0000:01:00.0", state: "D0", runtime: "active")
        try setPower("0000:41:00.0", state: "D0", runtime: "active")
        tick()
        XCTAssertEqual(try devices().map { $0["state"]?.stringValue }, ["active", "active"])
        XCTAssertNotNil(try devices()[0]["utilization"]?["gpu"]?.doubleValue, "sampled again once awake")
    }
}
