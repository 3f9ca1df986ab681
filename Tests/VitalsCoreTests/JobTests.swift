import Foundation
import XCTest
import Synchronization
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

/// Jobs through real sockets, with the fake NVML: two 24 GiB GPUs, 1 GiB used on each.
final class JobTests: XCTestCase {
    static let gib: UInt64 = 1 << 30
    var mono: UInt64 = Clock.monotonicNs()
    var wall: Int64 = Clock.wallMs()

    private func daemon(dataDir: String? = nil, configure: @escaping (inout VitalsConfig) -> Void = { _ in }) throws -> TestDaemon {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        setenv("FAKE_NVML_SCENARIO", "two", 1)
        setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        setenv("FAKE_NVML_MEMORY_GIB", "24", 1)
        setenv("FAKE_NVML_USED_MIB", "1024", 1)
        let d = try TestDaemon(procRoot: "/proc", sysRoot: "/sys", dataDir: dataDir) {
            $0.gpuEnabled = true
            $0.nvmlLibrary = lib
            $0.gpuProcessIntervalMs = 500
            configure(&$0)
        }
        tick(d)
        return d
    }

    override func tearDown() {
        for v in ["FAKE_NVML_MEMORY_GIB", "FAKE_NVML_USED_MIB", "FAKE_NVML_PROCESS"] { unsetenv(v) }
    }

    /// One sampler tick, a second of monotonic time later (so the process list is re-read).
    private func tick(_ d: TestDaemon) {
        mono += 1_000_000_000
        wall += 1000
        d.app.sampler.tick(wallMs: wall, monoNs: mono)
    }

    private func submit(_ d: TestDaemon, _ body: String) throws -> TestHTTPClient.Response {
        try d.post("/api/v1/jobs", body: body)
    }

    func testTwoAdmissionsInTheSameMillisecondCannotShareFreeMemory() throws {
        let d = try daemon()
        // Each fits GPU 0 alone (14 of 22.7 GiB free) but not both.
        let body = #"{"name": "big", "gpu": 0, "vram_bytes": \#(14 * Self.gib), "queue": QUEUE}"#
        let port = d.port, jobs = d.app.jobs
        for queue in [false, true] {
            let statuses = Mutex<[Int]>([])
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            for _ in 0..<2 {
                DispatchQueue.global().async(group: group) {
                    start.wait()
                    let r = try? TestHTTPClient.request(port: port, "POST", "/api/v1/jobs", headers: ["Authorization": "Bearer \(TestDaemon.adminToken)"],
                                                        body: body.replacingOccurrences(of: "QUEUE", with: String(queue)))
                    statuses.withLock { $0.append(r?.status ?? -1) }
                }
            }
            start.signal(); start.signal()
            group.wait()
            XCTAssertEqual(statuses.withLock { $0.sorted() }, [201, queue ? 202 : 409])
            // Clear the running (and queued) job for the next round.
            for job in try d.get("/api/v1/jobs").json()["jobs"]?.arrayValue ?? [] where job["state"]?.stringValue != "cancelled" {
                _ = try d.post("/api/v1/jobs/\(job["id"]?.intValue ?? 0)/cancel")
            }
        }
        // The scheduler itself, raced from many threads at once: exactly one admission.
        let results = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var r = JobRequest(name: "race"); r.gpu = .index(0); r.vramBytes = 14 * Self.gib
            let s: String
            switch jobs.submit(r) { case .running: s = "running"; case .queued: s = "queued"; case .refused: s = "refused" }
            results.withLock { $0.append(s) }
        }
        XCTAssertEqual(results.withLock { $0.filter { $0 == "running" }.count }, 1)
    }

    func testRefusalCarriesBlockingIssuesAndSuggestions() throws {
        let d = try daemon()
        let r = try submit(d, #"{"name": "huge", "model": "flux_dev", "width": 2048, "height": 2048, "batch": 8}"#)
        XCTAssertEqual(r.status, 409, r.text)
        let j = try r.json()
        XCTAssertEqual(j["error"]?["code"]?.stringValue, "job_refused")
        XCTAssertFalse(j["blocking_issues"]?.arrayValue?.isEmpty ?? true)
        XCTAssertNotNil(j["suggestions"]?.arrayValue)
        // A read token may not create jobs; a job token may.
        XCTAssertEqual(try d.post("/api/v1/jobs", body: #"{"name": "x", "vram_bytes": 0}"#, token: TestDaemon.readToken).status, 403)
    }

    func testJobTokenCreatesJobsButIsNotAnAdmin() throws {
        let jobToken = "job-token-0123456789abcdef"
        let d = try daemon()
        let auth = AuthPolicy(adminTokens: [TestDaemon.adminToken], readTokens: [TestDaemon.readToken], jobTokens: [jobToken], readsNeedToken: false)
        let d2 = try TestDaemon(procRoot: "/proc", sysRoot: "/sys", auth: auth)
        _ = d
        XCTAssertEqual(try d2.post("/api/v1/jobs", body: #"{"name": "cpu", "vram_bytes": 0}"#, token: jobToken).status, 201)
        XCTAssertEqual(try d2.post("/api/v1/system/constraints", body: #"{"max_concurrent_jobs": 3}"#, token: jobToken).status, 403)
        XCTAssertEqual(try d2.post("/api/v1/activity", body: #"{"kind": "model_deployed", "message": "v2"}"#, token: jobToken).status, 201)
    }

    func testReservationIsReleasedWhenThePidsMemoryAppears() throws {
        let d = try daemon()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { child.terminate(); child.waitUntilExit() }
        let pid = child.processIdentifier
        let r = try submit(d, #"{"name": "gen", "kind": "generation", "pid": \#(pid), "gpu": "any", "vram_bytes": \#(4 * Self.gib)}"#)
        XCTAssertEqual(r.status, 201, r.text)
        let id = try r.json()["id"]?.intValue ?? 0
        let gpu = try r.json()["gpu"]?.intValue ?? -1
        XCTAssertEqual(try r.json()["reservation"]?["outstanding_bytes"]?.doubleValue, Double(4 * Self.gib))
        tick(d)
        XCTAssertEqual(try d.get("/api/v1/jobs/\(id)").json()["reservation"]?["active"]?.boolValue, true)
        guard gpu == 0 else { return XCTFail("the fake lists extra processes on GPU 0; job went to \(gpu)") }
        // Half of it appears, then all of it.
        setenv("FAKE_NVML_PROCESS", "\(pid):\(2 * Self.gib)", 1)
        tick(d)
        let half = try d.get("/api/v1/jobs/\(id)").json()
        XCTAssertEqual(half["reservation"]?["held_bytes"]?.doubleValue, Double(2 * Self.gib), "\(half)")
        XCTAssertEqual(half["reservation"]?["outstanding_bytes"]?.doubleValue, Double(2 * Self.gib))
        setenv("FAKE_NVML_PROCESS", "\(pid):\(4 * Self.gib)", 1)
        tick(d)
        let full = try d.get("/api/v1/jobs/\(id)").json()
        XCTAssertEqual(full["reservation"]?["active"]?.boolValue, false, "\(full)")
        XCTAssertEqual(full["reservation"]?["released_because"]?.stringValue, "held")
        XCTAssertEqual(full["peak_vram_bytes"]?.doubleValue, Double(4 * Self.gib))
        XCTAssertEqual(d.app.jobs.stats.reservedBytes[0] ?? 0, 0)
    }

    func testQueueAdvancesWhenAJobCompletesAndProgressIsComputed() throws {
        let d = try daemon()
        let a = try submit(d, #"{"name": "a", "gpu": 0, "vram_bytes": \#(14 * Self.gib)}"#)
        XCTAssertEqual(a.status, 201, a.text)
        let b = try submit(d, #"{"name": "b", "gpu": 0, "vram_bytes": \#(14 * Self.gib), "queue": true}"#)
        XCTAssertEqual(b.status, 202, b.text)
        XCTAssertEqual(try b.json()["queue_position"]?.intValue, 1)
        let aID = try a.json()["id"]?.intValue ?? 0, bID = try b.json()["id"]?.intValue ?? 0
        tick(d)
        XCTAssertEqual(try d.get("/api/v1/jobs/\(bID)").json()["state"]?.stringValue, "queued")

        XCTAssertEqual(try d.post("/api/v1/jobs/\(aID)/progress", body: #"{"step": 1, "total_steps": 4, "stage": "load"}"#).status, 200)
        usleep(300_000)
        let p = try d.post("/api/v1/jobs/\(aID)/progress", body: #"{"step": 3, "stage": "denoise", "metrics": {"loss": 0.5}}"#)
        XCTAssertEqual(p.status, 200, p.text)
        XCTAssertEqual(try p.json()["percent"]?.doubleValue, 75)
        XCTAssertGreaterThan(try p.json()["rate_steps_per_s"]?.doubleValue ?? 0, 0)
        XCTAssertNotNil(try p.json()["eta_s"]?.doubleValue)
        XCTAssertEqual(try d.post("/api/v1/jobs/\(bID)/progress", body: #"{"step": 1}"#).status, 409)

        let done = try d.post("/api/v1/jobs/\(aID)/complete")
        XCTAssertEqual(done.status, 200, done.text)
        let stages = try done.json()["stages"]?.arrayValue ?? []
        XCTAssertEqual(stages.map { $0["name"]?.stringValue ?? "" }, ["load", "denoise"])
        XCTAssertNotNil(stages.first?["duration_ms"]?.doubleValue)
        XCTAssertEqual(try d.get("/api/v1/jobs/\(bID)").json()["state"]?.stringValue, "running")
        XCTAssertEqual(try d.post("/api/v1/jobs/\(aID)/complete").status, 409)

        let kinds = try d.get("/api/v1/activity?limit=20").json()["activity"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        XCTAssertTrue(kinds.contains("job_completed") && kinds.contains("job_queued") && kinds.contains("job_admitted"), "\(kinds)")
        XCTAssertEqual(try d.get("/api/v1/jobs?state=completed").json()["jobs"]?.arrayValue?.count, 1)
        // b was stored queued and is running now: a state filter answers with the live state.
        func ids(_ query: String) throws -> [Int] {
            try d.get("/api/v1/jobs?\(query)").json()["jobs"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
        }
        XCTAssertEqual(try ids("state=running"), [bID])
        XCTAssertEqual(try ids("state=queued"), [])
        XCTAssertEqual(try ids("state=completed&limit=1"), [aID])
        XCTAssertEqual(try ids("limit=1"), [bID])
        let metrics = try d.get("/metrics").text
        XCTAssertTrue(metrics.contains("vitals_jobs_ended_total{state=\"completed\"} 1"), metrics)
        let jobsHealth = try XCTUnwrap(d.get("/api/v1/system/health").json()["components"]?["jobs"])
        XCTAssertEqual(jobsHealth["running"]?.intValue, 1)
        XCTAssertEqual(jobsHealth["queued"]?.intValue, 0)
        XCTAssertEqual(jobsHealth["ended_total"]?["completed"]?.intValue, 1)
        XCTAssertEqual(jobsHealth["completed_last_hour"]?.intValue, 1)
        XCTAssertEqual(jobsHealth["admitted_total"]?.intValue, 2)
    }

    func testRestartInterruptsRunningJobsAndKeepsQueuedOnes() throws {
        let dir = TempDir()
        var ids: (Int, Int) = (0, 0)
        do {
            let d = try daemon(dataDir: dir.path)
            let a = try submit(d, #"{"name": "a", "gpu": 0, "vram_bytes": \#(14 * Self.gib)}"#)
            let b = try submit(d, #"{"name": "b", "gpu": 0, "vram_bytes": \#(14 * Self.gib), "queue": true}"#)
            XCTAssertEqual([a.status, b.status], [201, 202])
            ids = (try a.json()["id"]?.intValue ?? 0, try b.json()["id"]?.intValue ?? 0)
            d.app.stop()
        }
        let d = try daemon(dataDir: dir.path)
        let a = try d.get("/api/v1/jobs/\(ids.0)").json()
        XCTAssertEqual(a["state"]?.stringValue, "interrupted", "\(a)")
        // The queued one survived and, with the interrupted job's memory back, starts.
        tick(d)
        XCTAssertEqual(try d.get("/api/v1/jobs/\(ids.1)").json()["state"]?.stringValue, "running")
        let kinds = try d.get("/api/v1/activity").json()["activity"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        XCTAssertTrue(kinds.contains("daemon_stopped") && kinds.contains("job_interrupted"), "\(kinds)")
    }

    func testLostJobReleasesItsReservation() throws {
        let d = try daemon { $0.jobLostGraceMs = 0 }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let r = try submit(d, #"{"name": "gone", "pid": \#(child.processIdentifier), "vram_bytes": \#(Self.gib)}"#)
        XCTAssertEqual(r.status, 201, r.text)
        tick(d)
        let j = try d.get("/api/v1/jobs/\(try r.json()["id"]?.intValue ?? 0)").json()
        XCTAssertEqual(j["state"]?.stringValue, "lost")
        XCTAssertEqual(j["reservation"]?["released_because"]?.stringValue, "ended")
    }
}
