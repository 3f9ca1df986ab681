import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsCore
@testable import VitalsAPI

/// `vitals run` through the real binary against a daemon with the fake NVML (two 24 GiB
/// GPUs, 1 GiB used on each).
final class RunCommandTests: XCTestCase {
    static let gib: UInt64 = 1 << 30

    private func daemon() throws -> TestDaemon {
        let lib = try NVMLFakeLibrary.path(NVMLFakeLibrary.standard)
        setenv("FAKE_NVML_SCENARIO", "two", 1)
        setenv("FAKE_NVML_RUN", UUID().uuidString, 1)
        setenv("FAKE_NVML_MEMORY_GIB", "24", 1)
        setenv("FAKE_NVML_USED_MIB", "1024", 1)
        let d = try TestDaemon(procRoot: "/proc", sysRoot: "/sys") { $0.gpuEnabled = true; $0.nvmlLibrary = lib }
        d.app.sampler.tick(wallMs: Clock.wallMs(), monoNs: Clock.monotonicNs())
        return d
    }

    override func tearDown() {
        unsetenv("FAKE_NVML_MEMORY_GIB"); unsetenv("FAKE_NVML_USED_MIB")
    }

    private func start(_ args: [String], port: Int, in dir: URL) throws -> (Process, Pipe) {
        let bin = try XCTUnwrap(CommandLineTests.binary, "vitals not built beside the tests")
        try #"{"auth": {"job_tokens": ["\#(TestDaemon.adminToken)"]}}"#
            .write(to: dir.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["run", "--listen", "127.0.0.1:\(port)"] + args
        p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        p.currentDirectoryURL = dir
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, err)
    }

    private func finish(_ p: Process, _ err: Pipe) -> (Int32, String) {
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }

    func testRunsTheCommandOnTheChosenGPUAndEndsTheJobWithItsStatus() throws {
        let d = try daemon()
        let dir = try makeTempDirectory(self)
        let out = dir.appendingPathComponent("seen").path
        let (p, err) = try start(["--vram", "2G", "--gpu", "0", "--name", "shell", "--",
                                  "sh", "-c", "echo $CUDA_VISIBLE_DEVICES $VITALS_JOB_ID > \(out); exit 3"], port: d.port, in: dir)
        let (status, text) = finish(p, err)
        XCTAssertEqual(status, 3, text)
        let seen = try String(contentsOfFile: out, encoding: .utf8).split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        XCTAssertEqual(seen.first, "GPU-00000000-1111-2222-3333-444444444444")
        let job = try d.get("/api/v1/jobs/\(seen.last ?? "0")").json()
        XCTAssertEqual(job["state"]?.stringValue, "failed", "\(job)")
        XCTAssertEqual(job["error"]?.stringValue, "exit status 3")
        XCTAssertEqual(job["name"]?.stringValue, "shell")
        XCTAssertEqual(job["vram_bytes"]?.doubleValue, Double(2 * Self.gib))

        let (p2, err2) = try start(["--vram", "1G", "--", "true"], port: d.port, in: dir)
        XCTAssertEqual(finish(p2, err2).0, 0)
        XCTAssertEqual(try d.get("/api/v1/jobs?state=completed").json()["jobs"]?.arrayValue?.count, 1)
    }

    func testWaitsInTheQueueWithoutRoomAndRefusesWithNoQueue() throws {
        let d = try daemon()
        let dir = try makeTempDirectory(self)
        let a = try d.post("/api/v1/jobs", body: #"{"name": "holder", "gpu": 0, "vram_bytes": \#(14 * Self.gib)}"#)
        XCTAssertEqual(a.status, 201, a.text)

        let (refused, refusedErr) = try start(["--vram", "14G", "--gpu", "0", "--no-queue", "--", "true"], port: d.port, in: dir)
        let r = finish(refused, refusedErr)
        XCTAssertEqual(r.0, 75, r.1)

        let (p, err) = try start(["--vram", "14G", "--gpu", "0", "--", "true"], port: d.port, in: dir)
        var queued = false
        for _ in 0..<100 where !queued {
            queued = (try d.get("/api/v1/jobs?state=queued").json()["jobs"]?.arrayValue?.count ?? 0) == 1
            if !queued { usleep(50_000) }
        }
        XCTAssertTrue(queued)
        XCTAssertEqual(try d.post("/api/v1/jobs/\(try a.json()["id"]?.intValue ?? 0)/complete").status, 200)
        let (status, text) = finish(p, err)
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("queued at position 1"), text)
        XCTAssertEqual(try d.get("/api/v1/jobs?state=completed").json()["jobs"]?.arrayValue?.count, 2)
    }
}
