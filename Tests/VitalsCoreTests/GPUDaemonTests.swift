import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// GPU telemetry through the whole daemon: the fake libnvidia-ml is loaded by the real
/// dlopen path, and the API must report exactly what it says (or why there is nothing).
final class GPUDaemonTests: XCTestCase {
    private func daemon(library: String?, scenario: String = "two") throws -> TestDaemon {
        setenv("FAKE_NVML_SCENARIO", scenario, 1)
        setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        return try TestDaemon(procRoot: "/proc", sysRoot: "/sys") {
            $0.gpuEnabled = true
            $0.nvmlLibrary = library
        }
    }

    func testTwoFakeGPUsReachStatsHistoryAndProcesses() throws {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        let d = try daemon(library: lib)
        let base = (Clock.wallMs() / 500) * 500 - 10_000
        for i in 0..<8 { d.app.sampler.tick(wallMs: base + Int64(i) * 500, monoNs: Clock.monotonicNs() + UInt64(i) * 500_000_000) }
        let stats = try d.get("/api/v1/system/stats").json()
        let gpu = try XCTUnwrap(stats["gpu"])
        XCTAssertEqual(gpu["available"]?.boolValue, true, "\(gpu)")
        let devices = try XCTUnwrap(gpu["devices"]?.arrayValue)
        XCTAssertEqual(devices.count, 2)
        let first = devices[0]
        XCTAssertNotNil(first["name"]?.stringValue)
        XCTAssertNotNil(first["uuid"]?.stringValue)
        XCTAssertGreaterThan(first["memory"]?["total"]?.doubleValue ?? 0, 0)
        XCTAssertNotNil(first["memory"]?["percent"]?.doubleValue)
        XCTAssertNotNil(first["processes"]?.arrayValue)

        d.app.store?.flush()
        let hist = try d.get("/api/v1/system/stats/history?range=1m&metrics=gpu0.memory_used,gpu1.utilization&points=60")
        XCTAssertEqual(hist.status, 200, hist.text)
        let series = try XCTUnwrap(hist.json()["series"]?["gpu0.memory_used"]?.arrayValue)
        XCTAssertFalse(series.filter { $0["avg"]?.doubleValue != nil }.isEmpty)
        XCTAssertEqual(try d.get("/api/v1/system/stats/history?metrics=gpu7.utilization").status, 422)

        let procs = try d.get("/api/v1/system/processes?sort=gpu_memory&limit=5")
        XCTAssertEqual(procs.status, 200, procs.text)
        XCTAssertEqual(try procs.json()["gpu_memory_available"]?.boolValue, true)
    }

    func testMissingLibraryIsAReasonNotAZero() throws {
        let d = try daemon(library: "/nonexistent/libnvidia-ml.so.1")
        d.app.sampler.tick(wallMs: Clock.wallMs(), monoNs: Clock.monotonicNs())
        let gpu = try XCTUnwrap(d.get("/api/v1/system/stats").json()["gpu"])
        XCTAssertEqual(gpu["available"]?.boolValue, false)
        XCTAssertTrue(gpu["reason"]?.stringValue?.contains("not found") ?? false, "\(gpu)")
        XCTAssertNil(gpu["devices"])
        let health = try d.get("/api/v1/system/health").json()
        XCTAssertEqual(health["components"]?["gpu"]?["status"]?.stringValue, "unavailable")
    }

    func testProcessesRouteValidatesAndSorts() throws {
        let d = try TestDaemon(procRoot: "/proc", sysRoot: "/sys")
        XCTAssertEqual(try d.get("/api/v1/system/processes?sort=name").status, 422)
        XCTAssertEqual(try d.get("/api/v1/system/processes?limit=0").status, 422)
        let r = try d.get("/api/v1/system/processes?sort=memory&limit=3")
        XCTAssertEqual(r.status, 200, r.text)
        let rows = try XCTUnwrap(r.json()["processes"]?.arrayValue)
        XCTAssertEqual(rows.count, 3)
        let rss = rows.compactMap { $0["rss_bytes"]?.doubleValue }
        XCTAssertEqual(rss, rss.sorted(by: >))
        XCTAssertEqual(try r.json()["gpu_memory_available"]?.boolValue, false)
    }
}
