import Foundation
import Synchronization
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI


final class ProcessTableTests: XCTestCase {
    private static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/proc-processes")
    private let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    private let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let clock = ManualTime()
    private var root: URL!

    /// A private copy of the fixture: the tests rewrite stat files between readings.
    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-proc-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.fixture, to: root)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: root)
    }

    private func table() -> ProcessTable {
        let clock = self.clock
        return ProcessTable(procRoot: root.appendingPathComponent("proc").path,
                            passwdPath: root.appendingPathComponent("passwd").path,
                            settle: 0, time: clock)
    }

    /// Rewrites fields of one fixture process's stat line (numbered as in proc(5)).
    private func setStat(_ pid: Int, _ fields: [Int: UInt64]) throws {
        let url = root.appendingPathComponent("proc/\(pid)/stat")
        let line = try String(contentsOf: url, encoding: .utf8)
        guard let close = line.range(of: ")", options: .backwards) else { return XCTFail("bad fixture") }
        var rest = line[close.upperBound...].split(separator: " ").map(String.init)
        for (n, v) in fields { rest[n - 3] = String(v) }
        try (String(line[..<close.upperBound]) + " " + rest.joined(separator: " ")).write(to: url, atomically: true, encoding: .utf8)
    }

    func testFixtureByMemory() {
        let rows = table().top(sort: .memory, limit: 50, gpuProcesses: [])
        // 555 has no stat (gone mid-scan), 666 a broken one, "sys" is no pid: all skipped.
        XCTAssertEqual(rows.map(\.pid), [42, 1, 999, 300, 777])
        XCTAssertEqual(rows.map(\.name), ["python3", "systemd", "nginx", "my (weird) name", "kworker/0:1-events"])
        XCTAssertEqual(rows.map(\.user), ["alice", "root", "www-data", "1001", "root"])
        XCTAssertEqual(rows.map(\.rssBytes), [250_000, 3000, 2000, 100, 0].map { $0 * page })
        XCTAssertEqual(rows.map(\.containerId), [
            "3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a3928171605f4e3d2c1b0a99887", nil,
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90", nil,
        ])
        XCTAssertEqual(rows[0].command, "python3 train.py --epochs 10")
        XCTAssertEqual(rows[1].command, "/sbin/init splash")
        XCTAssertNil(rows[4].command, "kernel threads have no command line")
        let long = rows[3].command ?? ""
        XCTAssertEqual(long.count, 256)
        XCTAssertTrue(long.hasPrefix("/usr/bin/worker --option-00=value --option-01=value"))
        XCTAssertTrue(long.hasSuffix("…"))
        XCTAssertTrue(rows.allSatisfy { $0.gpuMemoryBytes == nil })
        XCTAssertEqual(table().top(sort: .memory, limit: 2, gpuProcesses: []).map(\.pid), [42, 1])
        XCTAssertEqual(table().top(sort: .memory, limit: 0, gpuProcesses: []), [])
    }

    func testCPUPercentFromTwoReadingsAndPidReuse() throws {
        let t = table()
        // Cold start: two readings with no time between them on this clock, so nothing moved.
        XCTAssertTrue(t.top(sort: .cpu, limit: 10, gpuProcesses: []).allSatisfy { $0.cpuPercent == 0 })

        // One second later python3 used 1.5 s of user and 0.5 s of system time.
        try setStat(42, [14: 5000 + UInt64(1.5 * hz), 15: 1000 + UInt64(0.5 * hz)])
        // pid 1 exited and the pid was reused: a new start time, 0.3 s of CPU so far.
        try setStat(1, [14: UInt64(0.3 * hz), 15: 0, 22: 99_999])
        clock.advance(seconds: 1)
        let rows = t.top(sort: .cpu, limit: 10, gpuProcesses: [])
        XCTAssertEqual(rows.map(\.pid), [42, 1, 999, 300, 777])
        XCTAssertEqual(rows[0].cpuPercent, 200, accuracy: 0.01)
        XCTAssertEqual(rows[1].cpuPercent, 30, accuracy: 0.01)
        XCTAssertEqual(rows[2].cpuPercent, 0)

        // Ten seconds on, the kept reading is too old: a fresh pair, not an 11-second average.
        try setStat(42, [14: 9000])
        clock.advance(seconds: 11)
        XCTAssertEqual(t.top(sort: .cpu, limit: 1, gpuProcesses: []).first?.cpuPercent, 0)
    }

    func testGroupedByUnitAndByContainerWithGPUMemorySummed() {
        let gpu = [
            GPUProcess(pid: 300, name: nil, usedMemoryBytes: 2 << 30, kind: "compute"),
            GPUProcess(pid: 42, name: nil, usedMemoryBytes: 1 << 30, kind: "compute"),
        ]
        let rows = table().top(sort: .memory, limit: 100, gpuProcesses: gpu)
        XCTAssertEqual(rows.map(\.unit), ["docker-3f1c2a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a3928171605f4e3d2c1b0a99887.scope", "init.scope",
                                         "libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", nil, nil])
        let units = ProcessGroup.group(rows, by: .unit)
        XCTAssertEqual(units.first?.name, "-", "pid 300 (cgroup v1, no unit) holds the most VRAM")
        XCTAssertEqual(units.first?.gpuMemoryBytes, 2 << 30)
        XCTAssertEqual(units.first?.processes, 2)
        let containers = ProcessGroup.group(rows, by: .container)
        XCTAssertEqual(containers.map(\.gpuMemoryBytes), [2 << 30, 1 << 30, nil, nil])
        XCTAssertEqual(containers.first { $0.name == "-" }?.pids.sorted(), [1, 777], "processes in no container")
        XCTAssertEqual(SystemdUnit.parse(cgroup: "0::/system.slice/comfyui.service\n"), "comfyui.service")
        XCTAssertEqual(SystemdUnit.parse(cgroup: "1:name=systemd:/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.scope\n"), "app-x.scope")
        XCTAssertNil(SystemdUnit.parse(cgroup: "0::/\n"))
    }

    func testGPUMemoryJoinedAndSorted() {
        let gpu = [
            GPUProcess(pid: 300, name: nil, usedMemoryBytes: 2 << 30, kind: "compute"),
            GPUProcess(pid: 42, name: nil, usedMemoryBytes: 1 << 30, kind: "compute"),
            GPUProcess(pid: 42, name: nil, usedMemoryBytes: 512 << 20, kind: "compute"),  // a second GPU
            GPUProcess(pid: 999, name: nil, usedMemoryBytes: nil, kind: "graphics"),
            GPUProcess(pid: 31337, name: nil, usedMemoryBytes: 1 << 30, kind: "compute"),  // not in /proc
        ]
        let rows = table().top(sort: .gpuMemory, limit: 3, gpuProcesses: gpu)
        XCTAssertEqual(rows.map(\.pid), [300, 42, 1])
        XCTAssertEqual(rows.map(\.gpuMemoryBytes), [2 << 30, (1 << 30) + (512 << 20), nil])
    }

    func testPidStatParsing() {
        let s = PidStat(Array("7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0 333 0 44 0\n".utf8))
        XCTAssertEqual(s?.comm, "a) b) c")
        XCTAssertEqual(s?.cpuTicks, 33)
        XCTAssertEqual(s?.startTime, 333)
        XCTAssertEqual(s?.rssPages, 44)
        XCTAssertNil(PidStat(Array("7 (short) R 1 2 3\n".utf8)))
        XCTAssertNil(PidStat(Array("no parens at all".utf8)))
        XCTAssertNil(PidStat(Array(")(".utf8)))
        XCTAssertNil(PidStat([]))
    }

    func testContainerIDs() {
        let id = String(repeating: "ab12", count: 16)
        XCTAssertEqual(ContainerID.parse(cgroup: "0::/system.slice/docker-\(id).scope\n"), id)
        XCTAssertEqual(ContainerID.parse(cgroup: "12:memory:/docker/\(id)\n"), id)
        XCTAssertEqual(ContainerID.parse(cgroup: "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-\(id).scope"), id)
        XCTAssertEqual(ContainerID.parse(cgroup: "0::/kubepods.slice/crio-\(id).scope"), id)
        XCTAssertEqual(ContainerID.parse(cgroup: "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-\(id).scope/container"), id)
        XCTAssertNil(ContainerID.parse(cgroup: "0::/user.slice/user-1000.slice/session-2.scope\n"))
        XCTAssertNil(ContainerID.parse(cgroup: "0::/somewhere/\(id)\n"), "a hex name outside a runtime's tree")
        XCTAssertNil(ContainerID.parse(cgroup: "0::/docker/\(id.uppercased())\n"))
        XCTAssertNil(ContainerID.parse(cgroup: "0::/docker/\(id.dropLast())\n"))
        XCTAssertNil(ContainerID.parse(cgroup: "garbage"))
        XCTAssertNil(ContainerID.parse(cgroup: ""))
    }

    func testEffectiveUIDAndCommandLine() {
        XCTAssertEqual(ProcessTable.effectiveUID(Array("Name:\tx\nUid:\t1000\t0\t0\t0\n".utf8)), 0)
        XCTAssertNil(ProcessTable.effectiveUID(Array("Uid:\t1000\n".utf8)))
        XCTAssertNil(ProcessTable.effectiveUID(Array("Name:\tx\n".utf8)))
        XCTAssertEqual(ProcessTable.commandLine(Array("a\u{0}b c\u{0}\u{0}".utf8)), "a b c")
        XCTAssertNil(ProcessTable.commandLine([0, 0]))
    }

    func testRealProcHasThisProcess() {
        let t = ProcessTable(time: SystemTime())
        let rows = t.top(sort: .memory, limit: 100_000, gpuProcesses: [])
        guard let me = rows.first(where: { $0.pid == getpid() }) else {
            return XCTFail("own pid \(getpid()) missing from \(rows.count) rows")
        }
        XCTAssertGreaterThan(me.rssBytes, 0)
        let comm = (try? String(contentsOfFile: "/proc/self/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
        XCTAssertEqual(me.name, comm)
        XCTAssertFalse(me.user.isEmpty)
        XCTAssertNotNil(me.command)
        XCTAssertTrue(me.cpuPercent >= 0 && me.cpuPercent.isFinite)
        XCTAssertGreaterThan(rows.count, 1)
    }
}
