import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class ProcHostSamplerTests: XCTestCase {
    private let second: UInt64 = 1_000_000_000
    private let halfSecond: UInt64 = 500_000_000

    /// Sizes for the fixture's mounts; /media/gone fails like an unmounted path would.
    private final class FakeStatfs {
        var calls: [String] = []
        func stat(_ path: String) -> FilesystemStat? {
            calls.append(path)
            switch path {
            case "/": return FilesystemStat(totalBytes: 1000, freeBytes: 300, availableBytes: 250)
            case "/boot/efi": return FilesystemStat(totalBytes: 0, freeBytes: 0, availableBytes: 0)
            case "/mnt/My Data": return FilesystemStat(totalBytes: 2000, freeBytes: 1000, availableBytes: 1000)
            default: return nil
            }
        }
    }

    private func makeSampler(_ proc: String, sys: String = ProcFixtures.path("sys-basic"),
                             statfs: FakeStatfs = FakeStatfs()) -> HostSampler {
        HostSampler(procRoot: proc, sysRoot: sys, statfs: { statfs.stat($0) })
    }

    func testFirstTickHasNoRatesButHasLevels() throws {
        let sampler = makeSampler(ProcFixtures.path("proc-basic"))
        let r = sampler.sample(monotonicNanos: 10 * second)
        XCTAssertNil(r.cpu)
        XCTAssertEqual(r.cores, [])
        XCTAssertNil(r.disks)
        XCTAssertNil(r.diskTotal)
        XCTAssertNil(r.network)
        XCTAssertNil(r.networkTotal)
        XCTAssertEqual(r.onlineCPUs, 2)
        XCTAssertEqual(r.procsRunning, 3)
        XCTAssertEqual(r.procsBlocked, 1)
        XCTAssertEqual(r.load?.fifteen, 2.0)
        XCTAssertEqual(r.memory?.total, 16_000_000 * 1024)
        XCTAssertEqual(r.uptimeSeconds ?? 0, 12345.67, accuracy: 1e-9)
        XCTAssertEqual(r.errors, ["filesystems: statvfs failed for /media/gone"])
    }

    func testSecondTickGivesCPUDiskAndNetworkRates() throws {
        let proc = try ProcFixtures.copy("proc-basic", for: self)
        let sampler = makeSampler(proc)
        _ = sampler.sample(monotonicNanos: 10 * second)
        for file in ["stat", "diskstats", "net/dev"] {
            try ProcFixtures.replace(file, in: proc, with: "proc-tick2/" + file)
        }
        let r = sampler.sample(monotonicNanos: 10 * second + halfSecond)

        let cpu = try XCTUnwrap(r.cpu)
        XCTAssertEqual(cpu.percent, 65, accuracy: 1e-9)
        XCTAssertEqual(cpu.user, 25, accuracy: 1e-9)    // guest not counted twice
        XCTAssertEqual(r.cores.map(\.index), [0, 1])
        XCTAssertEqual(r.cores[0].usage.percent, 65, accuracy: 1e-9)

        // Only physical whole disks: no loop0, sda1 (partition), dm-0, zram0.
        let disks = try XCTUnwrap(r.disks)
        XCTAssertEqual(disks.map(\.name), ["sda", "nvme0n1", "vdb"])
        XCTAssertEqual(disks[0], DiskRate(name: "sda", readBytesPerSec: 2_048_000, writeBytesPerSec: 1_024_000,
                                          readsPerSec: 200, writesPerSec: 100, busyPercent: 50))
        XCTAssertEqual(disks[1].busyPercent, 80, accuracy: 1e-9)
        XCTAssertEqual(disks[2].readBytesPerSec, 0)
        let total = try XCTUnwrap(r.diskTotal)
        XCTAssertEqual(total.name, "total")
        XCTAssertEqual(total.readBytesPerSec, 2_129_920, accuracy: 1e-6)
        XCTAssertEqual(total.writeBytesPerSec, 1_187_840, accuracy: 1e-6)
        XCTAssertEqual(total.readsPerSec, 220, accuracy: 1e-9)
        XCTAssertEqual(total.writesPerSec, 140, accuracy: 1e-9)
        XCTAssertEqual(total.busyPercent, 80, accuracy: 1e-9)

        // wlan0 was reset (64-bit counter went down), eth1 vanished, eth2 is new: none has a rate.
        let net = try XCTUnwrap(r.network)
        XCTAssertEqual(net.map(\.name), ["lo", "eth0", "docker0"])
        XCTAssertEqual(net.map(\.isVirtual), [true, false, true])
        XCTAssertEqual(net[0].rxBytesPerSec, 1000, accuracy: 1e-9)
        // eth0's receive byte counter wrapped at 32 bits: 1000 bytes in half a second.
        XCTAssertEqual(net[1], NetRate(name: "eth0", isVirtual: false, rxBytesPerSec: 2000, txBytesPerSec: 1_000_000,
                                       rxPacketsPerSec: 100, txPacketsPerSec: 200))
        XCTAssertEqual(r.networkTotal, NetRate(name: "total", isVirtual: false, rxBytesPerSec: 2000, txBytesPerSec: 1_000_000,
                                               rxPacketsPerSec: 100, txPacketsPerSec: 200))
        XCTAssertEqual(r.errors, [])   // filesystems are cached: no statvfs, no error this tick
    }

    func testCPUOfflineAndBackThenZeroElapsedTicks() throws {
        let proc = try ProcFixtures.copy("proc-basic", for: self)
        let sampler = makeSampler(proc)
        _ = sampler.sample(monotonicNanos: 1 * second)
        try ProcFixtures.replace("stat", in: proc, with: "proc-tick2/stat")
        XCTAssertEqual(sampler.sample(monotonicNanos: 2 * second).cores.map(\.index), [0, 1])

        try ProcFixtures.replace("stat", in: proc, with: "proc-cpu-offline/stat")
        var r = sampler.sample(monotonicNanos: 3 * second)
        XCTAssertEqual(r.onlineCPUs, 1)
        XCTAssertEqual(r.cores.map(\.index), [0])
        XCTAssertEqual(r.cores.first?.usage.percent ?? -1, 60, accuracy: 1e-9)
        XCTAssertNotNil(r.cpu)

        try ProcFixtures.replace("stat", in: proc, with: "proc-cpu-online/stat")
        r = sampler.sample(monotonicNanos: 4 * second)
        XCTAssertEqual(r.onlineCPUs, 2)
        XCTAssertEqual(r.cores.map(\.index), [0])   // cpu1 has no previous reading yet

        // Same file again: no tick elapsed, so no usage rather than NaN.
        r = sampler.sample(monotonicNanos: 5 * second)
        XCTAssertNil(r.cpu)
        XCTAssertEqual(r.cores, [])
    }

    func testFilesystemsAreFilteredDecodedAndCachedForFiveSeconds() throws {
        let fake = FakeStatfs()
        let sampler = makeSampler(ProcFixtures.path("proc-basic"), statfs: fake)
        let r = sampler.sample(monotonicNanos: 100 * second)
        XCTAssertEqual(fake.calls, ["/", "/boot/efi", "/mnt/My Data", "/media/gone"])
        // /boot/efi has zero size (hidden like df does), /media/gone failed statvfs.
        XCTAssertEqual(r.filesystems.map(\.mountPoint), ["/", "/mnt/My Data"])
        XCTAssertEqual(r.filesystems[0].device, "/dev/sda2")
        XCTAssertEqual(r.filesystems[0].fsType, "ext4")
        XCTAssertEqual(r.filesystems[0].percent, 700.0 / 950.0 * 100, accuracy: 1e-9)
        XCTAssertEqual(r.filesystems[1].percent, 50, accuracy: 1e-9)

        XCTAssertEqual(sampler.sample(monotonicNanos: 104 * second).filesystems.count, 2)
        XCTAssertEqual(fake.calls.count, 4)
        _ = sampler.sample(monotonicNanos: 105 * second)
        XCTAssertEqual(fake.calls.count, 8)
    }

    func testMissingFilesGiveNilAndErrorLinesNotACrash() throws {
        let sampler = makeSampler(ProcFixtures.path("proc-partial"))
        for tick in 1...2 {
            let r = sampler.sample(monotonicNanos: UInt64(tick) * second)
            XCTAssertNotNil(r.memory)
            XCTAssertNil(r.load)
            XCTAssertNil(r.uptimeSeconds)
            XCTAssertNil(r.disks)
            XCTAssertNil(r.network)
            XCTAssertEqual(r.filesystems, [])
            XCTAssertEqual(r.errors.map { String($0.prefix(while: { $0 != ":" })) },
                           tick == 1 ? ["loadavg", "uptime", "mounts", "diskstats", "net/dev"]
                                     : ["loadavg", "uptime", "diskstats", "net/dev"])
            XCTAssertTrue(r.errors.contains { $0.hasPrefix("diskstats: cannot open ") && $0.contains("proc-partial/diskstats") })
        }
        let nothing = HostSampler(procRoot: "/nonexistent-vitals-root", sysRoot: "/nonexistent-vitals-root")
        let r = nothing.sample(monotonicNanos: 1)
        XCTAssertNil(r.memory)
        XCTAssertEqual(r.onlineCPUs, 0)
        XCTAssertEqual(r.errors.count, 7)
        let info = nothing.hostInfo()
        XCTAssertEqual(info, HostInfo(hostname: "unknown", kernel: "unknown", cpuModel: "unknown", cpuCount: 0, bootTime: nil))
    }

    func testHostInfoFromFixtures() {
        let info = makeSampler(ProcFixtures.path("proc-basic")).hostInfo()
        XCTAssertEqual(info, HostInfo(hostname: "testhost", kernel: "6.1.0-test",
                                      cpuModel: "Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz", cpuCount: 5, bootTime: 1_700_000_000))
        // No sysfs `present` file: count processor lines. ARM: model from `Hardware`.
        let old = makeSampler(ProcFixtures.path("proc-old-kernel"), sys: ProcFixtures.path("sys-old")).hostInfo()
        XCTAssertEqual(old.cpuCount, 3)
        XCTAssertEqual(old.cpuModel, "BCM2835")
        XCTAssertEqual(old.bootTime, 1_000_000_000)
    }

    func testOldKernelTreeUsesMountsFallbackAnd14FieldDiskstats() throws {
        let fake = FakeStatfs()
        let sampler = HostSampler(procRoot: ProcFixtures.path("proc-old-kernel"), sysRoot: ProcFixtures.path("sys-old"),
                                  statfs: { fake.stat($0) })
        _ = sampler.sample(monotonicNanos: second)
        let r = sampler.sample(monotonicNanos: 2 * second)
        XCTAssertEqual(fake.calls, ["/", "/boot"])
        XCTAssertEqual(r.filesystems.map(\.mountPoint), ["/"])
        XCTAssertEqual(r.disks?.map(\.name), ["mmcblk0"])
        XCTAssertNil(r.memory?.swapPercent)
    }

    /// The real /proc of this machine must agree with what the kernel reports elsewhere.
    func testRealProcMatchesCpuinfoAndMeminfo() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let processors = cpuinfo.split(separator: "\n").filter {
            $0.split(separator: ":").first?.trimmingCharacters(in: .whitespaces) == "processor"
        }.count
        let memTotalLine = try XCTUnwrap(try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("MemTotal:") })
        let memTotalKB = try XCTUnwrap(UInt64(memTotalLine.split(separator: " ")[1]))

        let sampler = HostSampler()
        XCTAssertEqual(sampler.hostInfo().cpuCount, processors)
        let first = sampler.sample(monotonicNanos: DispatchTime.now().uptimeNanoseconds)
        XCTAssertEqual(first.memory?.total, memTotalKB * 1024)
        XCTAssertGreaterThan(first.onlineCPUs, 0)
        XCTAssertNotNil(first.load)
        XCTAssertNotNil(first.uptimeSeconds)
        usleep(20_000)
        let second = sampler.sample(monotonicNanos: DispatchTime.now().uptimeNanoseconds)
        XCTAssertNotNil(second.disks)
        XCTAssertNotNil(second.network)
        XCTAssertTrue(second.network?.contains { $0.name == "lo" && $0.isVirtual } ?? true)
    }

    /// procfs files stay open and are read again from offset 0: the kernel regenerates them,
    /// so a kept file reads as fresh as a new open. Other files (fixture trees, replaced
    /// between ticks by tests) are opened per read, so a replacement is always seen.
    func testProcFilesStayOpenAndReadFreshOthersAreReopened() throws {
        let reader = ProcFileReader()
        let text = { (path: String) in try reader.readString(path).get() }
        let first = try text("/proc/uptime")
        XCTAssertEqual(reader.keptCount, 1)
        usleep(30_000)
        let second = try text("/proc/uptime")
        XCTAssertEqual(reader.keptCount, 1)
        XCTAssertNotEqual(first, second, "a kept /proc file must be regenerated on each read")
        let fresh = try String(contentsOfFile: "/proc/uptime", encoding: .utf8)
        XCTAssertEqual(fresh.split(separator: " ").count, second.split(separator: " ").count)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vitals-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("loadavg")
        try "1.00 2.00 3.00 1/100 42\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try text(file.path), "1.00 2.00 3.00 1/100 42\n")
        try "4.00 5.00 6.00 1/100 43\n".write(to: file, atomically: true, encoding: .utf8)  // a new inode
        XCTAssertEqual(try text(file.path), "4.00 5.00 6.00 1/100 43\n")
        XCTAssertEqual(reader.keptCount, 1)
    }
}
