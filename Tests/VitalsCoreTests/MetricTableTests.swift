import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsCore

/// The one metric table: history names must never change (they are the API's vocabulary
/// and the keys of stored history), Prometheus names must follow Prometheus' rules.
final class MetricTableTests: XCTestCase {
    func testHistoryNamesAreExactlyTheReleasedVocabulary() {
        XCTAssertEqual(MetricTable.historyNames(gpuCount: 0), [
            "cpu.percent", "cpu.user", "cpu.system", "cpu.iowait", "cpu.steal",
            "load.1m", "load.5m", "load.15m",
            "memory.percent", "memory.used", "memory.available",
            "swap.percent", "swap.used",
            "disk.read_bytes_per_s", "disk.write_bytes_per_s", "disk.reads_per_s", "disk.writes_per_s",
            "net.rx_bytes_per_s", "net.tx_bytes_per_s", "net.rx_packets_per_s", "net.tx_packets_per_s",
            "fs.max_percent",
        ])
        XCTAssertEqual(Array(MetricTable.historyNames(gpuCount: 2).suffix(10)), [
            "gpu0.utilization", "gpu0.memory_used", "gpu0.memory_percent", "gpu0.temperature_c", "gpu0.power_w",
            "gpu1.utilization", "gpu1.memory_used", "gpu1.memory_percent", "gpu1.temperature_c", "gpu1.power_w",
        ])
        XCTAssertEqual(MetricTable.historyNames(gpuCount: -1).count, 22)
    }

    func testPrometheusNamesFollowTheRules() {
        var seen = Set<String>()
        for s in MetricTable.all {
            guard let name = s.prometheusName else { continue }
            XCTAssertTrue(seen.insert(name).inserted, "duplicate \(name)")
            XCTAssertTrue(name.hasPrefix("vitals_"), name)
            XCTAssertNotNil(name.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression), name)
            XCTAssertFalse(name.hasSuffix("_total"), "\(name): counters get _total when written")
            if s.unit != .none { XCTAssertTrue(name.hasSuffix("_" + s.unit.rawValue), "\(name) must end in its unit") }
            XCTAssertFalse(name.contains("percent"), "\(name): ratios are 0-1")
            XCTAssertFalse(s.help.isEmpty, name)
        }
    }

    private func snapshot() -> Snapshot {
        var r = HostReading()
        r.cpu = CPUUsage(percent: 65, user: 25, system: 40, iowait: 0, steal: 0, guest: 0, idle: 35)
        r.filesystems = [FilesystemUsage(mountPoint: "/", device: "/dev/sda2", fsType: "ext4", total: 1000, used: 700, free: 250, percent: 70),
                         FilesystemUsage(mountPoint: "/data", device: "/dev/sdb", fsType: "xfs", total: 10, used: 1, free: 9, percent: 10)]
        r.netCounters = [NetCounters(name: "eth0", rxBytes: 5, rxPackets: 1, rxErrors: 0, rxDropped: 0, txBytes: 7, txPackets: 2, txErrors: 0, txDropped: 0)]
        var g0 = GPUDevice(index: 0); g0.name = "A"; g0.uuid = "GPU-0"; g0.utilizationGPU = 50; g0.temperatureC = .nan
        g0.memoryUsed = 1 << 30; g0.memoryTotal = 1 << 32
        var g1 = GPUDevice(index: 1); g1.utilizationGPU = 80
        return Snapshot(seq: 1, ts: 1000, intervalMs: 500, host: HostInfo(hostname: "h", kernel: "k", cpuModel: "m", cpuCount: 2, bootTime: nil),
                        reading: r, gpu: .available(driverVersion: nil, cudaDriverVersion: nil, nvmlVersion: nil, devices: [g0, g1]))
    }

    func testHistoryValuesComeFromTheTableAndSkipUnknowns() {
        let values = Dictionary(uniqueKeysWithValues: MetricTable.historyValues(of: snapshot()))
        XCTAssertEqual(values["cpu.percent"], 65)
        XCTAssertEqual(values["fs.max_percent"], 70)
        XCTAssertEqual(values["gpu0.utilization"], 50)
        XCTAssertEqual(values["gpu1.utilization"], 80)
        XCTAssertNil(values["gpu0.temperature_c"], "NaN is a gap")
        // A UInt64 byte count read as a number, not as the bit pattern of a Double.
        XCTAssertEqual(values["gpu0.memory_used"], 1_073_741_824)
        XCTAssertEqual(values["gpu0.memory_percent"], 25)
        XCTAssertNil(values["memory.used"], "no meminfo reading")
        XCTAssertNil(values["disk.reads_per_s"])
    }

    /// The alert engine's view: any series, samples with labels, a selector on them.
    func testSamplesAreUniformAcrossScopes() throws {
        let s = snapshot()
        func samples(_ name: String) throws -> [([(String, String)], Double)] {
            let series = try XCTUnwrap(MetricTable.all.first { $0.prometheusName == name })
            var out: [([(String, String)], Double)] = []
            series.forEachSample(in: s) { subject, v in out.append((subject.labels, v * series.scale)) }
            return out
        }
        let busy = try samples("vitals_cpu_busy_ratio")
        XCTAssertEqual(busy.count, 1)
        XCTAssertTrue(busy[0].0.isEmpty)
        XCTAssertEqual(busy[0].1, 0.65, accuracy: 1e-12)

        let gpu = try samples("vitals_gpu_utilization_ratio")
        XCTAssertEqual(gpu.map { $0.0.map(\.0) }, [["gpu", "uuid", "name"], ["gpu", "uuid", "name"]])
        XCTAssertEqual(gpu[1].0.map(\.1), ["1", "", ""], "unknown uuid/name: empty, same label set")

        let fs = try samples("vitals_filesystem_used_ratio")
        XCTAssertEqual(fs.first { $0.0.contains { $0 == ("mountpoint", "/data") } }?.1 ?? -1, 0.1, accuracy: 1e-12)

        let rx = try samples("vitals_network_receive_bytes")
        XCTAssertEqual(rx.map(\.1), [5])
        XCTAssertEqual(rx[0].0.first?.1, "eth0")
        XCTAssertEqual(MetricSubject.interface(s.reading.netCounters![0]).label("device"), "eth0")
        XCTAssertNil(MetricSubject.host.label("device"))
    }
}
