import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// `GET /metrics` through the whole daemon, and the golden file of its whole exposition on
/// the fixture /proc tree and the fake NVML (like node_exporter's e2e-output.txt): any change
/// to any series shows in one diff. `VITALS_UPDATE_GOLDEN=1` rewrites the file.
final class MetricsRouteTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/metrics/e2e-output.txt").path

    /// Families whose values are timings: their sample values are replaced, their lines kept.
    static let volatile = ["vitals_collector_duration_seconds", "vitals_sampler_tick_duration_seconds",
                           "vitals_http_request_duration_seconds"]

    static func fixedStatfs(_ path: String) -> FilesystemStat? {
        switch path {
        case "/": return FilesystemStat(totalBytes: 100_000_000_000, freeBytes: 40_000_000_000, availableBytes: 35_000_000_000)
        case "/mnt/My Data": return FilesystemStat(totalBytes: 2_000_000_000_000, freeBytes: 1_000_000_000_000, availableBytes: 1_000_000_000_000)
        default: return nil
        }
    }

    /// Deterministic text: timing values become `<varies>`; everything else is as served.
    static func normalise(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard !line.hasPrefix("#"), volatile.contains(where: { line.hasPrefix($0) }),
                  let space = line.lastIndex(of: " ") else { return String(line) }
            return line[..<space] + " <varies>"
        }.joined(separator: "\n")
    }

    private func fixtureDaemon(gpu: Bool, compat: [String] = []) throws -> TestDaemon {
        var lib: String? = nil
        if gpu {
            lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
            setenv("FAKE_NVML_SCENARIO", "two", 1)
            setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        }
        return try TestDaemon(configure: {
            $0.gpuEnabled = gpu
            $0.nvmlLibrary = lib
            $0.metricsCompat = compat
        }, statfs: Self.fixedStatfs)
    }

    func testGoldenExpositionOnFixturesAndFakeNVML() throws {
        let d = try fixtureDaemon(gpu: true)
        let base: Int64 = 1_700_000_000_000
        d.app.sampler.tick(wallMs: base, monoNs: 10_000_000_000)
        // Two requests the HTTP families must count (seen from the next tick on).
        XCTAssertEqual(try d.get("/api/v1/system/stats").status, 200)
        XCTAssertEqual(try d.get("/no/such/route").status, 404)
        d.app.sampler.tick(wallMs: base + 500, monoNs: 10_500_000_000)
        let r = try d.get("/metrics")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        let got = Self.normalise(r.text)
        if ProcessInfo.processInfo.environment["VITALS_UPDATE_GOLDEN"] == "1" {
            try got.write(toFile: Self.golden, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOfFile: Self.golden, encoding: .utf8)
        if got != want {
            let g = got.split(separator: "\n", omittingEmptySubsequences: false)
            let w = want.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(g, w).enumerated().first { $0.element.0 != $0.element.1 }
            XCTFail("""
                /metrics differs from Tests/Fixtures/metrics/e2e-output.txt (VITALS_UPDATE_GOLDEN=1 rewrites it); \
                first difference at line \((first?.offset ?? min(g.count, w.count)) + 1): \
                got \(first.map { "\($0.element.0)" } ?? "\(g.count) lines"), want \(first.map { "\($0.element.1)" } ?? "\(w.count) lines")
                """)
        }
        // What the golden file must hold whatever it was rewritten to.
        for needle in ["vitals_gpu_utilization_ratio{gpu=\"0\",uuid=\"", "vitals_filesystem_avail_bytes{mountpoint=\"/mnt/My Data\",fstype=\"xfs\",device=\"/dev/nvme0n1p1\"} 1000000000000",
                       "vitals_network_receive_bytes_total{device=\"eth0\"} 4294967000", "vitals_collector_success{collector=\"nvml\"} 1",
                       "vitals_http_requests_total{route=\"/api/v1/system/stats\",method=\"GET\",status=\"200\"} 1",
                       "vitals_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
                       "vitals_disk_read_bytes_total{device=\"sda\"} 10240000",
                       "vitals_gpu_available 1", "vitals_history_writable 1"] {
            XCTAssertTrue(got.contains(needle), "missing \(needle)")
        }
    }

    /// The two gauges the Prometheus rules alert on go 0: no NVML (GPU sampling off) and a
    /// history database that cannot be opened (nothing can be created under /proc).
    func testGPUAvailableAndHistoryWritableGoZero() throws {
        let d = try TestDaemon(configure: {
            $0.gpuEnabled = false
            $0.databaseFile = "/proc/vitals-no-such-dir/vitals.db"
        }, statfs: Self.fixedStatfs)
        // The store is kept (live stats go on) with writable false.
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 10_000_000_000)
        let text = try d.get("/metrics").text
        XCTAssertTrue(text.contains("\nvitals_gpu_available 0\n"), text)
        XCTAssertTrue(text.contains("\nvitals_history_writable 0\n"), text)
    }

    /// `metrics.compat`: node_exporter's and dcgm-exporter's own names, labels and units,
    /// so their dashboards work unchanged; off by default.
    func testCompatSeriesUnderTheOtherExportersNames() throws {
        let plain = try fixtureDaemon(gpu: false)
        plain.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 10_000_000_000)
        XCTAssertFalse(try plain.get("/metrics").text.contains("node_"), "off unless asked for")

        let d = try fixtureDaemon(gpu: true, compat: ["node_exporter", "dcgm"])
        d.app.sampler.tick(wallMs: 1_700_000_000_000, monoNs: 10_000_000_000)
        let text = try d.get("/metrics").text
        for needle in [
            "# TYPE node_cpu_seconds_total counter", "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} ",
            "node_memory_MemAvailable_bytes 10240000000", "node_memory_MemTotal_bytes 16384000000", "node_load1 0.52",
            "node_filesystem_avail_bytes{device=\"/dev/nvme0n1p1\",fstype=\"xfs\",mountpoint=\"/mnt/My Data\"} 1000000000000",
            "node_network_receive_bytes_total{device=\"eth0\"} 4294967000", "node_disk_read_bytes_total{device=\"sda\"} 10240000",
            "DCGM_FI_DEV_FB_USED{gpu=\"0\",UUID=\"GPU-00000000-1111-2222-3333-444444444444\",device=\"nvidia0\",modelName=\"NVIDIA GeForce RTX 4090\"",
            "DCGM_FI_DEV_GPU_UTIL{gpu=\"1\"", "DCGM_FI_DEV_SM_CLOCK{gpu=\"0\"",
        ] {
            XCTAssertTrue(text.contains(needle), "missing \(needle)")
        }
        // MiB as dcgm-exporter reports: the 4090 fixture holds 8 GiB.
        XCTAssertTrue(text.contains("Hostname=\"") && text.contains("} 8192\n"), "FB_USED in MiB")
    }

    func testOpenMetricsWhenAskedAndRenderedOncePerTick() throws {
        let d = try fixtureDaemon(gpu: false)
        let om = try d.get("/metrics", headers: ["Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"])
        XCTAssertEqual(om.status, 200)
        XCTAssertEqual(om.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8")
        XCTAssertTrue(om.text.hasSuffix("# EOF\n"))
        XCTAssertTrue(om.text.contains("# TYPE vitals_network_receive_bytes counter\n# UNIT vitals_network_receive_bytes bytes\n"))
        // No GPU, no GPU families but the one saying so.
        XCTAssertTrue(om.text.contains("\nvitals_gpu_available 0\n"))
        XCTAssertFalse(om.text.replacing("vitals_gpu_available", with: "").contains("vitals_gpu_"), "no GPU, no GPU families")

        // Rendered once per tick and format: the second scrape gets the first one's bytes
        // (its own request is not counted yet); the next tick's render counts all of them.
        let first = try d.get("/metrics").text
        XCTAssertTrue(first.contains("vitals_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"} 1\n"), first)
        XCTAssertEqual(try d.get("/metrics").text, first)
        d.app.sampler.tick(wallMs: Clock.wallMs(), monoNs: Clock.monotonicNs())
        let after = try d.get("/metrics").text
        XCTAssertTrue(after.contains("vitals_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"} 3\n"), after)
        XCTAssertTrue(after.contains("vitals_http_request_duration_seconds_count{route=\"/metrics\"} 3\n"))
        XCTAssertTrue(after.contains("vitals_http_request_duration_seconds_bucket{route=\"/metrics\",le=\"+Inf\"} 3\n"))
    }

    /// Prometheus sends `Accept-Encoding: gzip`: the same bytes, gzipped once per tick and
    /// format; without it (or with q=0) the identity bytes. Both say what they vary on.
    func testGzipWhenAcceptedIsTheSameExpositionCompressedOncePerTick() throws {
        XCTAssertTrue(Gzip.isAvailable, "libz.so.1 could not be loaded")
        let d = try fixtureDaemon(gpu: false)
        let prometheusHeaders = ["Accept": "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1",
                                 "Accept-Encoding": "gzip"]
        let plain = try d.get("/metrics")
        XCTAssertNil(plain.headers["content-encoding"])
        XCTAssertEqual(plain.headers["vary"], "Accept, Accept-Encoding")
        let packed = try d.get("/metrics", headers: prometheusHeaders)
        XCTAssertEqual(packed.status, 200)
        XCTAssertEqual(packed.headers["content-encoding"], "gzip")
        XCTAssertEqual(packed.headers["vary"], "Accept, Accept-Encoding")
        XCTAssertEqual(packed.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8")
        XCTAssertLessThan(packed.body.count, plain.body.count / 3)
        let unpacked = try XCTUnwrap(Gzip.decompress(packed.body))
        XCTAssertEqual(unpacked, d.app.metrics.bytes(.openMetrics))
        XCTAssertEqual(try d.get("/metrics", headers: prometheusHeaders).body, packed.body, "compressed once per tick")
        XCTAssertNil(try d.get("/metrics", headers: ["Accept-Encoding": "gzip;q=0"]).headers["content-encoding"])
        XCTAssertEqual(try d.get("/metrics", headers: ["Accept-Encoding": "br, GZIP;q=0.8"]).headers["content-encoding"], "gzip")
        // HEAD: the gzip answer's head, no body.
        let c = try TestHTTPClient(port: d.port)
        c.send("HEAD /metrics HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\n\r\n")
        let head = try XCTUnwrap(c.readResponse(head: true))
        XCTAssertEqual(head.headers["content-encoding"], "gzip")
        XCTAssertEqual(head.headers["content-length"], String(try XCTUnwrap(d.app.metrics.gzipBytes(.prometheus)).count))
    }

    func testReadTokenNeededWhenReadsAreProtected() throws {
        let policy = AuthPolicy(adminTokens: [TestDaemon.adminToken], readTokens: [TestDaemon.readToken], readsNeedToken: true)
        let d = try TestDaemon(auth: policy, statfs: Self.fixedStatfs)
        XCTAssertEqual(try d.get("/metrics").status, 401)
        XCTAssertEqual(try d.get("/metrics", headers: ["Authorization": "Bearer wrong"]).status, 401)
        XCTAssertEqual(try d.get("/metrics", headers: ["Authorization": "Bearer \(TestDaemon.readToken)"]).status, 200)
    }

    func testHealthListsCollectors() throws {
        let d = try fixtureDaemon(gpu: false)
        let collectors = try XCTUnwrap(d.get("/api/v1/system/health").json()["components"]?["sampler"]?["collectors"]?.arrayValue)
        XCTAssertEqual(collectors.compactMap { $0["name"]?.stringValue }, ["cpu", "loadavg", "meminfo", "uptime", "filesystem", "diskstats", "netdev"])
        XCTAssertTrue(collectors.allSatisfy { $0["success"]?.boolValue == true })
    }
}
