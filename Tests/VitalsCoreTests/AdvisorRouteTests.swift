import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// The advisor's routes: bad input refused naming the field, answers that match their
/// declared schemas, settings and constraints that survive a restart, and presets checked
/// against fake 8, 24 and 80 GB cards.
final class AdvisorRouteTests: RouterTestCase {
    func testAdvisorBadInputIsRefusedNamingTheField() throws {
        let table: [(String, String, String, Int, String?)] = [
            ("POST", "/api/v1/optimization/estimate", #"{"model": "sd9"}"#, 422, "body.model"),
            ("POST", "/api/v1/optimization/estimate", #"{"width": 63}"#, 422, "body.width"),
            ("POST", "/api/v1/optimization/estimate", #"{"height": 8193}"#, 422, "body.height"),
            ("POST", "/api/v1/optimization/estimate", #"{"batch": 0}"#, 422, "body.batch"),
            ("POST", "/api/v1/optimization/estimate", #"{"frames": 1.5}"#, 422, "body.frames"),
            ("POST", "/api/v1/optimization/estimate", #"{"quantization": "fp4"}"#, 422, "body.quantization"),
            ("POST", "/api/v1/optimization/estimate", #"{"offload": "disk"}"#, 422, "body.offload"),
            ("POST", "/api/v1/optimization/estimate", #"{"vae_tiling": "yes"}"#, 422, "body.vae_tiling"),
            ("POST", "/api/v1/optimization/estimate", #"{"vae_tile_size": 100}"#, 422, "body.vae_tile_size"),
            ("POST", "/api/v1/optimization/estimate", #"{"vae_tile_size": 576}"#, 422, "body.vae_tile_size"),
            ("POST", "/api/v1/optimization/estimate", #"{"vae_tile_size": 200}"#, 422, "body.vae_tile_size"),
            ("POST", "/api/v1/optimization/estimate", #"{"model": "custom"}"#, 422, "body.components"),
            ("POST", "/api/v1/optimization/estimate", #"{"model": "sdxl", "components": []}"#, 422, "body.components"),
            ("POST", "/api/v1/optimization/estimate", #"{"model": "custom", "components": [{"name": "x", "parameters": 0, "role": "denoiser"}]}"#, 422, "body.components[0].parameters"),
            ("POST", "/api/v1/optimization/estimate", #"{"model": "custom", "components": [{"name": "x", "parameters": 5, "role": "unet"}]}"#, 422, "body.components[0].role"),
            ("POST", "/api/v1/optimization/estimate", #"{"steps": 20}"#, 422, "body.steps"),
            ("POST", "/api/v1/optimization/estimate", #"{"width": "#, 400, nil),
            ("POST", "/api/v1/system/optimization", "", 422, "body"),
            ("POST", "/api/v1/system/optimization", #"{"quantization": "int4"}"#, 422, "body.quantization"),
            ("POST", "/api/v1/system/optimization", #"{"max_vram_bytes": 0}"#, 422, "body.max_vram_bytes"),
            ("POST", "/api/v1/system/optimization", #"{"reserve_bytes": -1}"#, 422, "body.reserve_bytes"),
            ("POST", "/api/v1/system/optimization", #"{"workload": {"model": "custom"}}"#, 422, "body.workload.components"),
            ("POST", "/api/v1/system/optimization", #"{"workload": {"batch": 65}}"#, 422, "body.workload.batch"),
            ("POST", "/api/v1/system/optimization", #"{"workload": []}"#, 422, "body.workload"),
            ("POST", "/api/v1/optimization/apply-preset/turbo", "", 404, nil),
            ("POST", "/api/v1/optimization/apply-preset/balanced?force=maybe", "", 422, "query.force"),
            ("POST", "/api/v1/system/constraints", #"{"vram": {"warning_percent": 96}}"#, 422, "body.vram.warning_percent"),
            ("POST", "/api/v1/system/constraints", #"{"ram": {"critical_percent": 50}}"#, 422, "body.ram.critical_percent"),
            ("POST", "/api/v1/system/constraints", #"{"cpu": {"warning_percent": 0}}"#, 422, "body.cpu.warning_percent"),
            ("POST", "/api/v1/system/constraints", #"{"disk": {"warning_percent": 101}}"#, 422, "body.disk.warning_percent"),
            ("POST", "/api/v1/system/constraints", #"{"gpu_temperature": {"warning_celsius": 95}}"#, 422, "body.gpu_temperature.warning_celsius"),
            ("POST", "/api/v1/system/constraints", #"{"gpu_temperature": {"warning_percent": 80}}"#, 422, "body.gpu_temperature.warning_percent"),
            ("POST", "/api/v1/system/constraints", #"{"max_concurrent_jobs": 0}"#, 422, "body.max_concurrent_jobs"),
            ("POST", "/api/v1/system/constraints", "[]", 422, "body"),
            ("GET", "/api/v1/system/resource-check?vram_bytes=0", "", 422, "query.vram_bytes"),
            ("GET", "/api/v1/system/resource-check?vram_bytes=abc", "", 422, "query.vram_bytes"),
            ("GET", "/api/v1/system/resource-check?model=custom", "", 422, "query.model"),
            ("GET", "/api/v1/system/resource-check?vae_tile_size=320", "", 200, nil),
            ("GET", "/api/v1/system/resource-check?vae_tile_size=300", "", 422, "query.vae_tile_size"),
            ("GET", "/api/v1/system/resource-check?offload=cpu", "", 422, "query.offload"),
        ]
        for (method, target, body, status, field) in table {
            let r = send(method, target, body: body)
            XCTAssertEqual(r.status, status, "\(method) \(target) \(body): \(String(decoding: r.body, as: UTF8.self))")
            guard status >= 400 else { continue }
            let doc = try json(r)
            XCTAssertNotNil(doc["error"]?["code"]?.stringValue, target)
            if let field {
                XCTAssertEqual(doc["error"]?["details"]?["field"]?.stringValue, field, "\(target) \(body)")
            }
        }
        // Refused input changed nothing.
        XCTAssertEqual(try json(send("GET", "/api/v1/system/optimization"))["quantization"]?.stringValue, "fp16")
        XCTAssertEqual(try json(send("GET", "/api/v1/system/constraints"))["vram"]?["warning_percent"]?.doubleValue, 85)
    }

    func testAdvisorAnswersMatchTheirSchemasWithoutAGPU() throws {
        let routes: [(String, String, String, Schema)] = [
            ("POST", "/api/v1/optimization/estimate", "", AdvisorSchemas.estimate),
            ("POST", "/api/v1/optimization/estimate", #"{"model": "custom", "components": [{"name": "dit", "parameters": 2000000000, "role": "denoiser"}]}"#, AdvisorSchemas.estimate),
            ("GET", "/api/v1/system/optimization", "", AdvisorSchemas.optimization),
            ("POST", "/api/v1/system/optimization", #"{"max_vram_bytes": 1000000000000}"#, AdvisorSchemas.optimization),
            ("GET", "/api/v1/optimization/presets", "", AdvisorSchemas.presets),
            ("GET", "/api/v1/optimization/recommendations", "", AdvisorSchemas.recommendations),
            ("GET", "/api/v1/optimization/analysis", "", AdvisorSchemas.analysis),
            ("GET", "/api/v1/system/constraints", "", AdvisorSchemas.constraints),
            ("GET", "/api/v1/system/resource-check", "", AdvisorSchemas.resourceCheck),
            ("GET", "/api/v1/system/resource-check?vram_bytes=1000", "", AdvisorSchemas.resourceCheck),
        ]
        for (method, target, body, schema) in routes {
            let r = send(method, target, body: body)
            XCTAssertEqual(r.status, 200, "\(method) \(target): \(String(decoding: r.body, as: UTF8.self))")
            XCTAssertNoThrow(try SchemaValidator.validate(try json(r), schema, at: target), target)
        }
        // No GPU: nothing fits, so a preset is refused unless forced.
        XCTAssertEqual(send("POST", "/api/v1/optimization/apply-preset/balanced").status, 409)
        let forced = send("POST", "/api/v1/optimization/apply-preset/balanced?force=true")
        XCTAssertEqual(forced.status, 200)
        XCTAssertEqual(try json(forced)["offload"]?.stringValue, "model")
        let check = try json(send("GET", "/api/v1/system/resource-check"))
        XCTAssertEqual(check["allowed"]?.boolValue, false)
        XCTAssertEqual(check["blocking_issues"]?.arrayValue?.first?["resource"]?.stringValue, "vram")
    }

    func testEstimateTakesMissingFieldsFromTheCurrentSettings() throws {
        let base = try json(send("POST", "/api/v1/optimization/estimate"))
        let sdxl = VRAMEstimator.estimate(Workload(), OptimizationSettings())
        XCTAssertEqual(base["peak_bytes"]?.doubleValue, Double(sdxl.peakBytes))
        XCTAssertEqual(send("POST", "/api/v1/system/optimization", body: #"{"quantization": "nf4", "workload": {"model": "flux_dev"}}"#).status, 200)
        var s = OptimizationSettings(); s.quantization = .nf4
        let flux = try json(send("POST", "/api/v1/optimization/estimate", body: #"{"width": 1024}"#))
        XCTAssertEqual(flux["peak_bytes"]?.doubleValue, Double(VRAMEstimator.estimate(Workload(model: "flux_dev"), s).peakBytes))
        XCTAssertEqual(flux["breakdown"]?["reserve_bytes"]?.doubleValue, 400 * 1_048_576)
        // The estimate is a read: the settings are as they were.
        _ = send("POST", "/api/v1/optimization/estimate", body: #"{"quantization": "fp16"}"#)
        XCTAssertEqual(try json(send("GET", "/api/v1/system/optimization"))["quantization"]?.stringValue, "nf4")
        let doc = try json(send("GET", "/api/v1/system/optimization"))
        XCTAssertGreaterThan(doc["savings_bytes"]?.doubleValue ?? 0, 10 * 1_073_741_824, "nf4 saves over 10 GiB on FLUX")
    }

    func testConstraintsChangeHealthAndTheResourceCheck() throws {
        let before = try json(send("GET", "/api/v1/system/health"))
        XCTAssertFalse(before["warnings"]?.arrayValue?.contains { $0["component"]?.stringValue == "memory" } ?? true)
        let r = send("POST", "/api/v1/system/constraints", body: #"{"ram": {"warning_percent": 1, "critical_percent": 2}}"#)
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        XCTAssertEqual(try json(r)["ram"]?["critical_percent"]?.doubleValue, 2)
        let after = try json(send("GET", "/api/v1/system/health"))
        let memory = after["warnings"]?.arrayValue?.first { $0["component"]?.stringValue == "memory" }
        XCTAssertEqual(memory?["severity"]?.stringValue, "critical")
        let check = try json(send("GET", "/api/v1/system/resource-check?vram_bytes=1"))
        XCTAssertTrue(check["blocking_issues"]?.arrayValue?.contains { $0["resource"]?.stringValue == "ram" && $0["limit"]?.doubleValue == 2 } ?? false,
                      "\(check)")
    }
}

/// Settings and constraints through a restart, and presets against fake cards of 8, 24 and 80 GB.
final class AdvisorDaemonTests: XCTestCase {
    func testSettingsAndConstraintsSurviveRestart() throws {
        let dir = TempDir()
        do {
            let d = try TestDaemon(dataDir: dir.path)
            XCTAssertEqual(try d.post("/api/v1/system/optimization", body: #"{"offload": "model", "vae_tiling": true, "vae_tile_size": 256, "workload": {"model": "custom", "components": [{"name": "dit", "parameters": 3000000000, "role": "denoiser"}], "width": 768}}"#).status, 200)
            XCTAssertEqual(try d.post("/api/v1/system/constraints", body: #"{"vram": {"warning_percent": 70, "critical_percent": 80}, "max_concurrent_jobs": 3}"#).status, 200)
            XCTAssertEqual(try d.post("/api/v1/system/constraints", body: #"{"vram": {"warning_percent": 70}}"#, token: nil).status, 401, "changes need the admin token")
            d.app.stop()
        }
        let d = try TestDaemon(dataDir: dir.path)
        let o = try d.get("/api/v1/system/optimization").json()
        XCTAssertEqual(o["offload"]?.stringValue, "model")
        XCTAssertEqual(o["vae_tile_size"]?.intValue, 256)
        XCTAssertEqual(o["workload"]?["model"]?.stringValue, "custom")
        XCTAssertEqual(o["workload"]?["width"]?.intValue, 768)
        XCTAssertEqual(o["workload"]?["components"]?.arrayValue?.first?["parameters"]?.doubleValue, 3e9)
        let c = try d.get("/api/v1/system/constraints").json()
        XCTAssertEqual(c["vram"]?["critical_percent"]?.doubleValue, 80)
        XCTAssertEqual(c["max_concurrent_jobs"]?.intValue, 3)
    }

    private func gpuDaemon(totalGiB: Int) throws -> TestDaemon {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        setenv("FAKE_NVML_SCENARIO", "two", 1)
        setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        setenv("FAKE_NVML_MEMORY_GIB", String(totalGiB), 1)
        setenv("FAKE_NVML_USED_MIB", "512", 1)
        let d = try TestDaemon(procRoot: "/proc", sysRoot: "/sys") {
            $0.gpuEnabled = true
            $0.nvmlLibrary = lib
        }
        d.app.sampler.tick(wallMs: Clock.wallMs(), monoNs: Clock.monotonicNs())
        return d
    }

    override func tearDown() {
        unsetenv("FAKE_NVML_MEMORY_GIB")
        unsetenv("FAKE_NVML_USED_MIB")
    }

    private func compatible(_ d: TestDaemon) throws -> [String: Bool] {
        let doc = try d.get("/api/v1/optimization/presets").json()
        XCTAssertNoThrow(try SchemaValidator.validate(doc, AdvisorSchemas.presets, at: "presets"))
        var out: [String: Bool] = [:]
        for p in doc["presets"]?.arrayValue ?? [] {
            out[p["id"]!.stringValue!] = p["gpus"]?.arrayValue?.first?["compatible"]?.boolValue
        }
        XCTAssertEqual(out.count, 6)
        return out
    }

    func testPresetsOnAnEightGigabyteCard() throws {
        let d = try gpuDaemon(totalGiB: 8)
        let sdxl = try compatible(d)
        XCTAssertEqual(sdxl["ultra_efficient"], true)
        XCTAssertEqual(sdxl["high_performance"], false)
        XCTAssertEqual(sdxl["quality_focused"], false)

        let refused = try d.post("/api/v1/optimization/apply-preset/high_performance")
        XCTAssertEqual(refused.status, 409)
        XCTAssertTrue(try refused.json()["error"]?["message"]?.stringValue?.contains("GPU 0") ?? false, refused.text)
        XCTAssertEqual(try d.post("/api/v1/optimization/apply-preset/ultra_efficient").status, 200)
        XCTAssertEqual(try d.get("/api/v1/system/optimization").json()["quantization"]?.stringValue, "nf4")

        // fp16 SDXL does not fit: the check blocks it and names presets that fit.
        let check = try d.get("/api/v1/system/resource-check?quantization=fp16&offload=none").json()
        XCTAssertNoThrow(try SchemaValidator.validate(check, AdvisorSchemas.resourceCheck, at: "check"))
        XCTAssertEqual(check["allowed"]?.boolValue, false, "\(check)")
        XCTAssertEqual(check["blocking_issues"]?.arrayValue?.first?["resource"]?.stringValue, "vram")
        XCTAssertFalse(check["suggestions"]?.arrayValue?.compactMap { $0["preset"]?.stringValue }.isEmpty ?? true, "\(check)")
        let fits = try d.get("/api/v1/system/resource-check").json()
        XCTAssertEqual(fits["blocking_issues"]?.arrayValue?.filter { $0["resource"]?.stringValue == "vram" }.count, 0, "nf4 sequential fits: \(fits)")

        // The recommendations say so first, with the change to make.
        XCTAssertEqual(try d.post("/api/v1/system/optimization", body: #"{"quantization": "fp16", "offload": "none"}"#).status, 200)
        let recs = try d.get("/api/v1/optimization/recommendations").json()
        XCTAssertNoThrow(try SchemaValidator.validate(recs, AdvisorSchemas.recommendations, at: "recs"))
        let first = recs["recommendations"]?.arrayValue?.first
        XCTAssertEqual(first?["priority"]?.stringValue, "critical", "\(recs)")
        XCTAssertNotNil(first?["change"]?["offload"]?.stringValue)
        XCTAssertGreaterThan(first?["estimated_savings_bytes"]?.doubleValue ?? 0, 0)
        let analysis = try d.get("/api/v1/optimization/analysis").json()
        XCTAssertNoThrow(try SchemaValidator.validate(analysis, AdvisorSchemas.analysis, at: "analysis"))
        XCTAssertEqual(analysis["parts"]?["headroom"]?.intValue, 0)
        XCTAssertNotNil(analysis["recommended"]?["preset"]?.stringValue)
    }

    func testPresetsOnTwentyFourAndEightyGigabyteCards() throws {
        let d24 = try gpuDaemon(totalGiB: 24)
        let sdxl = try compatible(d24)
        XCTAssertTrue(sdxl.values.allSatisfy { $0 }, "every preset fits SDXL on 24 GB: \(sdxl)")
        XCTAssertEqual(try d24.post("/api/v1/system/optimization", body: #"{"workload": {"model": "flux_dev"}}"#).status, 200)
        let flux24 = try compatible(d24)
        XCTAssertEqual(flux24["high_performance"], false, "bf16 FLUX needs ~37 GiB")
        XCTAssertEqual(flux24["ultra_efficient"], true)
        XCTAssertEqual(try d24.post("/api/v1/system/optimization", body: #"{"max_vram_bytes": 25769803777}"#).status, 422,
                       "a cap above the card's total is refused")
        d24.app.stop()

        let d80 = try gpuDaemon(totalGiB: 80)
        XCTAssertEqual(try d80.post("/api/v1/system/optimization", body: #"{"workload": {"model": "flux_dev"}}"#).status, 200)
        let flux80 = try compatible(d80)
        XCTAssertTrue(flux80.values.allSatisfy { $0 }, "\(flux80)")
        let recs = try d80.get("/api/v1/optimization/recommendations").json()
        XCTAssertFalse(recs["recommendations"]?.arrayValue?.contains { ["critical", "high"].contains($0["priority"]?.stringValue ?? "") } ?? true, "\(recs)")
        XCTAssertGreaterThan(try d80.get("/api/v1/optimization/analysis").json()["score"]?.intValue ?? 0, 60)
    }
}

/// The advisor's judgement on literal figures, no daemon.
final class AdvisorRulesTests: XCTestCase {
    let gib: UInt64 = 1 << 30

    func testIdleMachineWithHeadroomGetsNothingToChange() {
        var d = GPUDevice(index: 0); d.temperatureC = 40; d.powerWatts = 30; d.powerLimitWatts = 450; d.processes = []
        d.memoryTotal = 24 * gib; d.memoryUsed = gib / 2; d.memoryFree = 24 * gib - gib / 2
        let c = AdvisorContext(gpus: GPUMemory.of([d]), devices: [d], memoryPercent: 20, cpuPercent: 3,
                               history: [0: GPUMemoryHistory(peakHourBytes: gib, peakDayBytes: 12 * gib, trendBytesPerHour: 0)])
        XCTAssertEqual(Recommendations.make(c).map(\.id), [])
        let check = ResourceCheck.run(c, vramBytes: nil)
        XCTAssertTrue(check.allowed)
        XCTAssertEqual(check.suggestions, [])
        XCTAssertEqual(Analysis.make(c).score, 100)
    }

    func testBusyHotGPUIsReportedWithItsFigures() {
        var d = GPUDevice(index: 0); d.temperatureC = 93; d.powerWatts = 449; d.powerLimitWatts = 450
        d.memoryTotal = 24 * gib; d.memoryUsed = 23 * gib; d.memoryFree = gib
        d.processes = [GPUProcess(pid: 42, name: "python", usedMemoryBytes: 22 * gib, kind: "compute")]
        let c = AdvisorContext(gpus: GPUMemory.of([d]), devices: [d],
                               history: [0: GPUMemoryHistory(peakHourBytes: 23 * gib, peakDayBytes: 24 * gib, trendBytesPerHour: 4e9)])
        let recs = Recommendations.make(c)
        XCTAssertEqual(recs.first?.priority, .critical)
        XCTAssertEqual(Set(recs.map(\.id)), ["does_not_fit", "vram_critical_gpu0", "other_processes_gpu0", "hot_gpu0",
                                             "power_limit_gpu0", "peak_day_gpu0", "rising_gpu0"])
        XCTAssertEqual(recs.map(\.priority), recs.map(\.priority).sorted { Recommendation.Priority.allCases.firstIndex(of: $0)! < Recommendation.Priority.allCases.firstIndex(of: $1)! })
        let check = ResourceCheck.run(c, vramBytes: 2 * gib)
        XCTAssertFalse(check.allowed)
        XCTAssertEqual(Set(check.blocking.map(\.resource)), ["vram", "gpu_temperature"])
        XCTAssertLessThan(Analysis.make(c).stability, 10)
    }
}
