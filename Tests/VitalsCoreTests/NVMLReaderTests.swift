import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

private let GiB: UInt64 = 1 << 30
private let MiB: UInt64 = 1 << 20

final class NVMLReaderTests: XCTestCase {
    private let clock = ManualClock()

    override func setUp() {
        // A fresh run token: the fake starts its scenario over at the next nvmlInit.
        setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        setenv("FAKE_NVML_SCENARIO", "two", 1)
        unsetenv("FAKE_NVML_LOST_AFTER")
    }

    private func reader(_ lib: String) -> NVMLReader {
        let clock = self.clock
        return NVMLReader(libraryPath: lib, time: clock)
    }

    private func devices(_ s: GPUStatus, file: StaticString = #filePath, line: UInt = #line) -> [GPUDevice] {
        guard case .available = s else { XCTFail("expected available, got \(s)", file: file, line: line); return [] }
        return s.devices
    }

    private var ownComm: String {
        (try? String(contentsOfFile: "/proc/self/comm", encoding: .utf8))?
            .trimmingCharacters(in: .newlines) ?? "?"
    }

    func testTwoGPUsWithKnownValues() throws {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let r = reader(lib)
        let status = r.sample(includeProcesses: true)
        guard case .available(let driver, let cuda, let nvml, let devs) = status else {
            return XCTFail("expected available, got \(status)")
        }
        XCTAssertEqual(driver, "550.54.15")
        XCTAssertEqual(cuda, "12.4")
        XCTAssertEqual(nvml, "12.550.54.15")
        XCTAssertEqual(devs.count, 2)
        XCTAssertEqual(r.boundSymbol("init"), "nvmlInit_v2")
        XCTAssertEqual(r.boundSymbol("pci"), "nvmlDeviceGetPciInfo_v3")
        XCTAssertEqual(r.boundSymbol("compute_procs"), "nvmlDeviceGetComputeRunningProcesses_v3")
        XCTAssertEqual(r.boundSymbol("memory_v2"), "nvmlDeviceGetMemoryInfo_v2")

        let g = devs[0]
        XCTAssertEqual(g.index, 0)
        XCTAssertEqual(g.name, "NVIDIA GeForce RTX 4090")
        XCTAssertEqual(g.uuid, "GPU-00000000-1111-2222-3333-444444444444")
        XCTAssertEqual(g.pciBusId, "00000000:01:00.0")
        XCTAssertEqual(g.utilizationGPU, 45)
        XCTAssertEqual(g.utilizationMemory, 30)
        XCTAssertEqual(g.memoryTotal, 24 * GiB)
        XCTAssertEqual(g.memoryUsed, 8 * GiB)
        XCTAssertEqual(g.memoryReserved, 300 * MiB)
        XCTAssertEqual(g.memoryFree, 16 * GiB - 300 * MiB)
        XCTAssertEqual(g.temperatureC, 65)
        XCTAssertEqual(g.fanPercent, 40)
        XCTAssertEqual(g.powerWatts, 250.5)
        XCTAssertEqual(g.powerLimitWatts, 450)
        XCTAssertEqual(g.smClockMHz, 2520)
        XCTAssertEqual(g.smClockMaxMHz, 3105)
        XCTAssertEqual(g.memClockMHz, 10501)
        XCTAssertEqual(g.memClockMaxMHz, 10501)
        XCTAssertEqual(g.performanceState, 2)
        XCTAssertEqual(g.processes, [
            // In both lists: once, with the memory the compute list knew.
            GPUProcess(pid: getpid(), name: ownComm, usedMemoryBytes: 1536 * MiB, kind: "compute+graphics"),
            // Memory "not available" and a pid with no /proc entry.
            GPUProcess(pid: 4194303, name: nil, usedMemoryBytes: nil, kind: "compute"),
        ])

        let a = devs[1]
        XCTAssertEqual(a.name, "NVIDIA A100-SXM4-80GB")
        XCTAssertEqual(a.pciBusId, "00000000:41:00.0")
        XCTAssertNil(a.fanPercent, "NOT_SUPPORTED must read as nil, not 0")
        XCTAssertEqual(a.memoryReserved, 500 * MiB)
        XCTAssertEqual(a.utilizationGPU, 100)
        XCTAssertEqual(a.performanceState, 0)
        XCTAssertEqual(a.processes, [], "an idle GPU has an empty list, not an unknown one")
    }

    func testProcessListsOnlyWhenAskedAndKeptBetween() throws {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let r = reader(lib)
        let before = NVMLFakeLibrary.counter(lib, "fake_nvml_process_calls")
        XCTAssertNil(devices(r.sample(includeProcesses: false)).first?.processes)
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_process_calls"), before)

        let listed = devices(r.sample(includeProcesses: true)).first?.processes
        XCTAssertEqual(listed?.count, 2)
        let afterQuery = NVMLFakeLibrary.counter(lib, "fake_nvml_process_calls")
        XCTAssertEqual(afterQuery, before + 4, "compute and graphics lists of both GPUs")

        // Cheap ticks carry the last list without asking NVML again.
        XCTAssertEqual(devices(r.sample(includeProcesses: false)).first?.processes, listed)
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_process_calls"), afterQuery)
    }

    func testUnsupportedFieldsAreNil() throws {
        setenv("FAKE_NVML_SCENARIO", "unsupported", 1)
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let devs = devices(reader(lib).sample(includeProcesses: true))
        XCTAssertEqual(devs.count, 2)
        guard let g = devs.first else { return }
        XCTAssertEqual(g.name, "NVIDIA GeForce RTX 4090")
        XCTAssertNil(g.utilizationGPU)
        XCTAssertNil(g.utilizationMemory)
        XCTAssertNil(g.fanPercent)
        XCTAssertNil(g.powerWatts)
        XCTAssertNil(g.powerLimitWatts)
        XCTAssertNil(g.smClockMaxMHz)
        XCTAssertNil(g.memClockMaxMHz)
        XCTAssertNil(g.performanceState)
        XCTAssertNil(g.processes, "both lists NOT_SUPPORTED: unknown, not empty")
        // Memory v2 said NOT_SUPPORTED: v1 still gives the totals, reserved stays unknown.
        XCTAssertEqual(g.memoryTotal, 24 * GiB)
        XCTAssertEqual(g.memoryFree, 16 * GiB)
        XCTAssertNil(g.memoryReserved)
        XCTAssertEqual(g.smClockMHz, 2520)
        XCTAssertEqual(g.temperatureC, 65)
        XCTAssertEqual(devs[1].powerWatts, 400, "the other GPU is unaffected")
    }

    func testLostGPUShutsDownAndRecoversAfterBackoff() throws {
        setenv("FAKE_NVML_SCENARIO", "lost", 1)
        setenv("FAKE_NVML_LOST_AFTER", "30", 1)   // exactly one full sample of two GPUs
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let r = reader(lib)
        XCTAssertEqual(devices(r.sample(includeProcesses: false)).count, 2)

        let inits = NVMLFakeLibrary.counter(lib, "fake_nvml_init_count")
        XCTAssertEqual(r.sample(includeProcesses: false), .unavailable(reason: "GPU 0: GPU is lost"))
        clock.ms += 4_999
        XCTAssertEqual(r.sample(includeProcesses: false), .unavailable(reason: "GPU 0: GPU is lost"))
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_init_count"), inits, "no re-init inside the backoff")

        clock.ms += 1
        let back = devices(r.sample(includeProcesses: true))
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_init_count"), inits + 1)
        XCTAssertEqual(back.count, 2)
        XCTAssertEqual(back.first?.temperatureC, 65)
    }

    func testInitFailureBacksOffDoublingThenRecovers() throws {
        setenv("FAKE_NVML_SCENARIO", "initfail", 1)
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let r = reader(lib)
        let start = NVMLFakeLibrary.counter(lib, "fake_nvml_init_count")
        let expected = GPUStatus.unavailable(reason: "nvmlInit failed: Driver Not Loaded")
        XCTAssertEqual(r.sample(includeProcesses: false), expected)
        XCTAssertEqual(NVMLFakeLibrary.counter(lib, "fake_nvml_init_count"), start + 1)

        // Attempts at +5 s, then +10 s after that: nothing in between.
        var attempts: [Int64] = []
        let t0 = clock.ms
        for step in stride(from: Int64(0), through: 16_000, by: 250) {
            clock.ms = t0 + step
            let before = NVMLFakeLibrary.counter(lib, "fake_nvml_init_count")
            XCTAssertEqual(r.sample(includeProcesses: false), expected)
            if NVMLFakeLibrary.counter(lib, "fake_nvml_init_count") != before { attempts.append(step) }
        }
        XCTAssertEqual(attempts, [5_000, 15_000])

        // The driver loads: the next attempt (20 s later) succeeds.
        setenv("FAKE_NVML_SCENARIO", "two", 1)
        clock.ms = t0 + 15_000 + 20_000
        XCTAssertEqual(devices(r.sample(includeProcesses: false)).count, 2)
    }

    func testBackoffIsCappedAtFiveMinutes() throws {
        let r = NVMLReader(libraryPath: "/nonexistent-vitals-dir/libnvidia-ml.so.1", time: clock)
        // Failures at 0, 5, 15, 35, 75, 155, 315 s; after that every 300 s.
        var t: Int64 = 0
        var attempts: [Int64] = []
        var last = GPUStatus.unavailable(reason: "")
        let t0 = clock.ms
        while t <= 1_200_000 {
            clock.ms = t0 + t
            let before = r.openAttempts
            last = r.sample(includeProcesses: false)
            if r.openAttempts != before { attempts.append(t / 1000) }
            t += 1_000
        }
        XCTAssertEqual(last, .unavailable(reason: "/nonexistent-vitals-dir/libnvidia-ml.so.1 not found"))
        XCTAssertEqual(attempts, [0, 5, 15, 35, 75, 155, 315, 615, 915])
    }

    func testMissingLibraryIsUnavailableWithReason() {
        let r = reader("/nonexistent-vitals-dir/libnvidia-ml.so.1")
        XCTAssertEqual(r.sample(includeProcesses: true),
                       .unavailable(reason: "/nonexistent-vitals-dir/libnvidia-ml.so.1 not found"))
    }

    func testDefaultLibraryNameInReason() throws {
        let r = NVMLReader(libraryPath: nil, time: ManualTime())
        let s = r.sample(includeProcesses: false)
        if case .available = s { throw XCTSkip("this machine has a real NVIDIA driver") }
        XCTAssertEqual(s, .unavailable(reason: "libnvidia-ml.so.1 not found"))
    }

    func testLibraryWithoutNVMLSymbolsIsRejected() {
        let r = reader("libc.so.6")
        guard case .unavailable(let reason) = r.sample(includeProcesses: false) else { return XCTFail() }
        XCTAssertEqual(reason, "libc.so.6: not an NVML library (no nvmlInit)")
    }

    func testProcessListGrowsItsBuffer() throws {
        setenv("FAKE_NVML_SCENARIO", "bigbuf", 1)
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let procs = devices(reader(lib).sample(includeProcesses: true)).first?.processes ?? []
        // The fake first asks for 20 slots, then has 40 when asked again.
        XCTAssertEqual(procs.count, 40)
        XCTAssertEqual(procs.map(\.pid), (0..<40).map { 100_000 + Int32($0) })
        XCTAssertEqual(procs.map(\.usedMemoryBytes), (0..<40).map { UInt64($0 + 1) * MiB })
        XCTAssertTrue(procs.allSatisfy { $0.kind == "compute" })
    }

    func testOldDriverWithoutVersionedSymbols() throws {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.unversioned)
        let r = reader(lib)
        let status = r.sample(includeProcesses: true)
        guard case .available(let driver, let cuda, let nvml, let devs) = status else {
            return XCTFail("expected available, got \(status)")
        }
        XCTAssertEqual(r.boundSymbol("init"), "nvmlInit")
        XCTAssertEqual(r.boundSymbol("pci"), "nvmlDeviceGetPciInfo")
        XCTAssertEqual(r.boundSymbol("compute_procs"), "nvmlDeviceGetComputeRunningProcesses")
        XCTAssertNil(r.boundSymbol("memory_v2"))
        XCTAssertEqual(driver, "550.54.15")
        XCTAssertEqual(cuda, "12.4")
        XCTAssertNil(nvml, "symbol absent: unknown")
        XCTAssertEqual(devs.count, 2)
        guard let g = devs.first else { return }
        XCTAssertEqual(g.pciBusId, "0000:01:00.0", "the old struct's 16-byte bus id")
        XCTAssertEqual(g.memoryTotal, 24 * GiB)
        XCTAssertEqual(g.memoryUsed, 8 * GiB)
        XCTAssertNil(g.memoryReserved)
        XCTAssertNil(g.powerLimitWatts)
        XCTAssertEqual(g.powerWatts, 250.5)
        // The 16-byte v1 process layout, and no graphics list at all.
        XCTAssertEqual(g.processes, [
            GPUProcess(pid: getpid(), name: ownComm, usedMemoryBytes: 1536 * MiB, kind: "compute"),
            GPUProcess(pid: 4194303, name: nil, usedMemoryBytes: nil, kind: "compute"),
        ])
    }

    func testShutdownThenSampleLoadsAgain() throws {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let r = reader(lib)
        XCTAssertEqual(devices(r.sample(includeProcesses: false)).count, 2)
        r.shutdown()
        XCTAssertNil(r.boundSymbol("init"))
        XCTAssertEqual(devices(r.sample(includeProcesses: false)).count, 2)
    }

    func testCudaVersionFormatting() {
        XCTAssertEqual(NVMLReader.cudaVersion(12040), "12.4")
        XCTAssertEqual(NVMLReader.cudaVersion(11080), "11.8")
        XCTAssertEqual(NVMLReader.cudaVersion(12000), "12.0")
        XCTAssertNil(NVMLReader.cudaVersion(0))
    }
}
