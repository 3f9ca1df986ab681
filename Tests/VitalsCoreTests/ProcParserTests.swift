import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class ProcParserTests: XCTestCase {
    func testProcStatParsesTotalCoresAndScalarsSkippingMalformedLines() throws {
        let stat = try XCTUnwrap(ProcStatParser.parse(try ProcFixtures.text("proc-basic/stat")))
        XCTAssertEqual(stat.total.user, 1000)
        XCTAssertEqual(stat.total.guest, 300)
        XCTAssertEqual(stat.total.guestNice, 50)
        XCTAssertEqual(stat.cores.map(\.index), [0, 1])   // cpuX and the short cpu9 line are skipped
        XCTAssertEqual(stat.cores[1].times.steal, 15)
        XCTAssertEqual(stat.bootTime, 1_700_000_000)
        XCTAssertEqual(stat.contextSwitches, 99999)
        XCTAssertEqual(stat.procsRunning, 3)
        XCTAssertEqual(stat.procsBlocked, 1)
    }

    func testProcStatWithoutAggregateLineIsNil() {
        XCTAssertNil(ProcStatParser.parse("cpu0 1 2 3 4\nbtime 5\n"))
        XCTAssertNil(ProcStatParser.parse(""))
    }

    func testOldKernelStatWithFourColumns() throws {
        let stat = try XCTUnwrap(ProcStatParser.parse(try ProcFixtures.text("proc-old-kernel/stat")))
        XCTAssertEqual(stat.total.idle, 1000)
        XCTAssertEqual(stat.total.iowait, 0)
        XCTAssertEqual(stat.cores.count, 1)
    }

    func testCPUUsageDoesNotCountGuestTwice() throws {
        let a = try XCTUnwrap(ProcStatParser.parse(try ProcFixtures.text("proc-basic/stat")))
        let b = try XCTUnwrap(ProcStatParser.parse(try ProcFixtures.text("proc-tick2/stat")))
        let u = try XCTUnwrap(CPUUsageCalculator.usage(from: a.total, to: b.total))
        // 1000 ticks elapsed: user 400 (guest 200 inside), nice 100 (guest_nice 50 inside).
        XCTAssertEqual(u.user, 25, accuracy: 1e-9)
        XCTAssertEqual(u.guest, 25, accuracy: 1e-9)
        XCTAssertEqual(u.system, 15, accuracy: 1e-9)
        XCTAssertEqual(u.iowait, 5, accuracy: 1e-9)
        XCTAssertEqual(u.idle, 30, accuracy: 1e-9)
        XCTAssertEqual(u.steal, 0, accuracy: 1e-9)
        XCTAssertEqual(u.percent, 65, accuracy: 1e-9)
        XCTAssertEqual(u.user + u.guest + u.system + u.steal + u.iowait + u.idle, 100, accuracy: 1e-9)
    }

    func testCPUCountersGoingBackwardsAreClampedAndZeroTicksIsNil() {
        var old = CPUTimes(); old.user = 1000; old.idle = 1000; old.system = 500
        var new = old; new.user = 10; new.idle = 1100   // user went backwards
        let u = CPUUsageCalculator.usage(from: old, to: new)
        XCTAssertEqual(u?.idle, 100)
        XCTAssertEqual(u?.user, 0)
        XCTAssertEqual(u?.percent, 0)
        XCTAssertNil(CPUUsageCalculator.usage(from: old, to: old))
        var allBack = old; allBack.user = 0; allBack.idle = 0; allBack.system = 0
        XCTAssertNil(CPUUsageCalculator.usage(from: old, to: allBack))
    }

    func testCoresMatchedByIndexWhenOneGoesOfflineAndComesBack() throws {
        let before = try XCTUnwrap(ProcStatParser.parse(try ProcFixtures.text("proc-tick2/stat")))
        let offline = try XCTUnwrap(ProcStatParser.parse(try ProcFixtures.text("proc-cpu-offline/stat")))
        let online = try XCTUnwrap(ProcStatParser.parse(try ProcFixtures.text("proc-cpu-online/stat")))
        let whileOffline = CPUUsageCalculator.coreUsages(from: before.cores, to: offline.cores)
        XCTAssertEqual(whileOffline.map(\.index), [0])
        XCTAssertEqual(whileOffline.first?.usage.percent ?? -1, 60, accuracy: 1e-9)
        // cpu1 is back but had no reading last tick: no figure for it yet.
        XCTAssertEqual(CPUUsageCalculator.coreUsages(from: offline.cores, to: online.cores).map(\.index), [0])
        // Matching by index, not position: cpu1 against its tick-2 reading.
        let both = CPUUsageCalculator.coreUsages(from: before.cores, to: online.cores)
        XCTAssertEqual(both.map(\.index), [0, 1])
        XCTAssertEqual(both[1].usage.idle, 50.0 / 120.0 * 100, accuracy: 1e-9)
    }

    func testMemInfoInBytesWithSwap() throws {
        let m = try XCTUnwrap(MemInfoParser.parse(try ProcFixtures.text("proc-basic/meminfo")))
        XCTAssertEqual(m.total, 16_000_000 * 1024)
        XCTAssertEqual(m.available, 10_000_000 * 1024)
        XCTAssertEqual(m.used, 6_000_000 * 1024)
        XCTAssertEqual(m.free, 4_000_000 * 1024)
        XCTAssertEqual(m.buffers, 500_000 * 1024)
        XCTAssertEqual(m.cached, 5_000_000 * 1024)
        XCTAssertEqual(m.percent, 37.5, accuracy: 1e-9)
        XCTAssertEqual(m.swapUsed, 500_000 * 1024)
        XCTAssertEqual(m.swapPercent ?? -1, 25, accuracy: 1e-9)
    }

    func testMemInfoWithoutMemAvailableEstimatesAndNoSwapGivesNilPercent() throws {
        let m = try XCTUnwrap(MemInfoParser.parse(try ProcFixtures.text("proc-old-kernel/meminfo")))
        XCTAssertEqual(m.available, 600_000 * 1024)
        XCTAssertEqual(m.used, 400_000 * 1024)
        XCTAssertEqual(m.percent, 40, accuracy: 1e-9)
        XCTAssertNil(m.swapPercent)
        XCTAssertNil(MemInfoParser.parse("MemFree: 10 kB\n"))
    }

    func testLoadAverageAndUptime() throws {
        let l = try XCTUnwrap(LoadAverageParser.parse(try ProcFixtures.text("proc-basic/loadavg")))
        XCTAssertEqual(l.one, 0.52, accuracy: 1e-12)
        XCTAssertEqual(l.five, 1.25, accuracy: 1e-12)
        XCTAssertEqual(l.fifteen, 2.0, accuracy: 1e-12)
        XCTAssertEqual(l.running, 3)
        XCTAssertEqual(l.total, 412)
        XCTAssertNil(LoadAverageParser.parse("abc"))
        XCTAssertEqual(try XCTUnwrap(UptimeParser.parse(try ProcFixtures.text("proc-basic/uptime"))), 12345.67, accuracy: 1e-9)
        XCTAssertNil(UptimeParser.parse(""))
        XCTAssertNil(UptimeParser.parse("."))
    }

    func testMountsKeepRealFilesystemsOncePerDeviceAndDecodeEscapes() throws {
        let entries = MountsParser.parse(try ProcFixtures.text("proc-basic/self/mounts"))
        let types = MountsParser.blockBackedTypes(try ProcFixtures.text("proc-basic/filesystems"))
        XCTAssertEqual(types, ["ext4", "vfat", "xfs"])
        let real = MountsParser.realFilesystems(entries, blockBackedTypes: types)
        XCTAssertEqual(real.map(\.mountPoint), ["/", "/boot/efi", "/mnt/My Data", "/media/gone"])
        XCTAssertEqual(real.first?.device, "/dev/sda2")
        XCTAssertEqual(MountsParser.decodeOctalEscapes(#"/a\011b\134c\012d\09"#), "/a\tb\\c\nd\\09")
    }

    func testFilesystemUsageMatchesDf() {
        let mount = MountEntry(device: "/dev/sda2", mountPoint: "/", fsType: "ext4")
        let u = FilesystemUsage(mount: mount, stat: FilesystemStat(totalBytes: 1000, freeBytes: 300, availableBytes: 250))
        XCTAssertEqual(u.used, 700)
        XCTAssertEqual(u.free, 250)
        XCTAssertEqual(u.percent, 700.0 / 950.0 * 100, accuracy: 1e-9)
    }

    func testDiskStatsHandles14_18And20FieldLines() throws {
        let disks = DiskStatsParser.parse(try ProcFixtures.text("proc-basic/diskstats"))
        XCTAssertEqual(disks.map(\.name), ["loop0", "sda", "sda1", "nvme0n1", "dm-0", "zram0", "vdb"])  // vdc is cut short
        let sda = try XCTUnwrap(disks.first { $0.name == "sda" })        // 20 fields
        XCTAssertEqual(sda, DiskCounters(name: "sda", reads: 1000, sectorsRead: 20000, writes: 2000, sectorsWritten: 40000, ioTimeMs: 1000))
        let nvme = try XCTUnwrap(disks.first { $0.name == "nvme0n1" })   // 18 fields
        XCTAssertEqual(nvme.ioTimeMs, 100)
        let vdb = try XCTUnwrap(disks.first { $0.name == "vdb" })        // 14 fields
        XCTAssertEqual(vdb, DiskCounters(name: "vdb", reads: 50, sectorsRead: 400, writes: 60, sectorsWritten: 480, ioTimeMs: 50))
    }

    func testNetDevSkipsHeadersAndShortLines() throws {
        let nets = NetDevParser.parse(try ProcFixtures.text("proc-basic/net/dev"))
        XCTAssertEqual(nets.map(\.name), ["lo", "eth0", "docker0", "wlan0", "eth1"])
        let eth0 = try XCTUnwrap(nets.first { $0.name == "eth0" })
        XCTAssertEqual(eth0, NetCounters(name: "eth0", rxBytes: 4_294_967_000, rxPackets: 1000, rxErrors: 1, rxDropped: 2,
                                         txBytes: 5_000_000, txPackets: 2000, txErrors: 3, txDropped: 4))
        XCTAssertEqual(nets.last?.rxBytes, 123)   // no blank after the colon (old kernels)
    }

    func testCounterDeltaWrapAndReset() {
        XCTAssertEqual(CounterDelta.delta(old: 10, new: 15), 5)
        XCTAssertEqual(CounterDelta.delta(old: 4_294_967_000, new: 704), 1000)   // 32-bit wrap
        XCTAssertNil(CounterDelta.delta(old: 10_000_000_000, new: 500))          // 64-bit: reset
    }

    func testHostInfoParsers() throws {
        XCTAssertEqual(HostInfoParser.cpuModel(try ProcFixtures.text("proc-basic/cpuinfo")), "Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz")
        XCTAssertEqual(HostInfoParser.cpuModel(try ProcFixtures.text("proc-old-kernel/cpuinfo")), "BCM2835")
        XCTAssertEqual(HostInfoParser.cpuModel("processor : 0\nModel : Raspberry Pi\n"), "Raspberry Pi")
        XCTAssertEqual(HostInfoParser.cpuModel("system type : x\ncpu model : MIPS 24Kc V7.4\n"), "MIPS 24Kc V7.4")
        XCTAssertNil(HostInfoParser.cpuModel("processor : 0\n"))
        XCTAssertEqual(HostInfoParser.processorCount(try ProcFixtures.text("proc-old-kernel/cpuinfo")), 3)
        XCTAssertEqual(HostInfoParser.cpuListCount("0-3,5\n"), 5)
        XCTAssertEqual(HostInfoParser.cpuListCount("0"), 1)
        XCTAssertNil(HostInfoParser.cpuListCount("3-1"))
        XCTAssertNil(HostInfoParser.cpuListCount("a-b"))
        XCTAssertNil(HostInfoParser.cpuListCount(""))
    }
}
