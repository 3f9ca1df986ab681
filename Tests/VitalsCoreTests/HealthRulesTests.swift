import XCTest
@testable import VitalsSupport
@testable import VitalsCore

/// Health's thresholds are data: the same table yields warnings, and other levels change them.
final class HealthRulesTests: XCTestCase {
    private func snapshot(memoryPercent: Double = 50, filesystems: [(String, Double)] = [],
                          gpuTemps: [Double?] = []) -> Snapshot {
        var r = HostReading()
        r.memory = MemoryInfo(total: 100, available: 100 - UInt64(memoryPercent), used: UInt64(memoryPercent), free: 0,
                              cached: 0, buffers: 0, swapTotal: 0, swapFree: 0, swapUsed: 0,
                              percent: memoryPercent, swapPercent: nil)
        r.filesystems = filesystems.map {
            FilesystemUsage(mountPoint: $0.0, device: "/dev/sda1", fsType: "ext4", total: 100, used: UInt64($0.1), free: 0, percent: $0.1)
        }
        let devices = gpuTemps.enumerated().map { i, t -> GPUDevice in
            var d = GPUDevice(index: i)
            d.temperatureC = t
            return d
        }
        return Snapshot(seq: 1, ts: 0, intervalMs: nil,
                        host: HostInfo(hostname: "h", kernel: "k", cpuModel: "c", cpuCount: 1, bootTime: nil),
                        reading: r, gpu: .available(driverVersion: nil, cudaDriverVersion: nil, nvmlVersion: nil, devices: devices))
    }

    func testQuietMachineRaisesNothing() {
        XCTAssertEqual(HealthRules.evaluate(HealthRules.defaults, on: snapshot()), [])
    }

    func testWarningThenCriticalAtTheRuleLevels() {
        let warn = HealthRules.evaluate(HealthRules.defaults, on: snapshot(memoryPercent: 92))
        XCTAssertEqual(warn.map(\.severity), ["warning"])
        XCTAssertEqual(warn.first?.message, "RAM 92% used")
        XCTAssertEqual(warn.first?.component, "memory")
        XCTAssertEqual(warn.first?.rule, "memory_high")
        let crit = HealthRules.evaluate(HealthRules.defaults, on: snapshot(memoryPercent: 98))
        XCTAssertEqual(crit.map(\.severity), ["critical"])
    }

    func testOneWarningPerFilesystemAndGPUNamingTheSubject() {
        let w = HealthRules.evaluate(HealthRules.defaults,
                                     on: snapshot(filesystems: [("/", 40), ("/data", 93.7)], gpuTemps: [70, 93, nil]))
        XCTAssertEqual(w.map(\.message), ["/data 93% full", "GPU 1 at 93 °C"])
        XCTAssertEqual(w.map(\.component), ["disk", "gpu1"])
        XCTAssertEqual(w.map(\.severity), ["warning", "critical"])
        XCTAssertEqual(w.first?.suggestion, "free space on /data (model caches and outputs grow fast)")
    }

    func testOtherLevelsChangeTheOutcome() {
        var rules = HealthRules.defaults
        let i = rules.firstIndex { $0.id == "memory_high" }!
        rules[i].warning = 40
        rules[i].critical = 45
        XCTAssertEqual(HealthRules.evaluate(rules, on: snapshot(memoryPercent: 50)).map(\.severity), ["critical"])
        XCTAssertEqual(HealthRules.evaluate([], on: snapshot(memoryPercent: 99)), [], "no rules, no warnings")
    }

    func testEveryDefaultRuleNamesASeriesOfTheMetricTable() {
        for rule in HealthRules.defaults {
            XCTAssertNotNil(MetricTable.series(named: rule.metric), "\(rule.id) names \(rule.metric)")
        }
    }
}
