import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsCore

/// The sampler's collector loop: each collector timed and reported, a failing one isolated.
final class HostCollectorTests: XCTestCase {
    private final class Failing: HostCollector {
        let name = "broken"
        var calls = 0
        func collect(into reading: inout HostReading, context: CollectorContext) throws(CollectorError) {
            calls += 1
            reading.uptimeSeconds = -1   // what it wrote before failing stays; the others still run
            throw CollectorError("broken: no such thing")
        }
    }

    func testOneFailingCollectorDoesNotStopTheOthers() throws {
        let proc = ProcFixtures.path("proc-basic")
        let failing = Failing()
        let sampler = HostSampler(procRoot: proc, sysRoot: ProcFixtures.path("sys-basic"), collectors: [
            failing, LoadAverageCollector(procRoot: proc), MemoryCollector(procRoot: proc),
        ])
        let r = sampler.sample(monotonicNanos: 1_000_000_000)
        XCTAssertEqual(failing.calls, 1)
        XCTAssertEqual(r.errors, ["broken: no such thing"])
        XCTAssertEqual(r.load?.fifteen, 2.0)
        XCTAssertNotNil(r.memory)
        XCTAssertEqual(sampler.statuses.map(\.name), ["broken", "loadavg", "meminfo"])
        XCTAssertEqual(sampler.statuses.map(\.success), [false, true, true])
        XCTAssertTrue(sampler.statuses.allSatisfy { $0.durationSeconds >= 0 && $0.durationSeconds < 1 })
    }

    func testStandardListReportsEveryReaderAndFailuresByName() {
        let sampler = HostSampler(procRoot: ProcFixtures.path("proc-partial"), sysRoot: ProcFixtures.path("sys-basic"))
        _ = sampler.sample(monotonicNanos: 1_000_000_000)
        XCTAssertEqual(sampler.statuses.map(\.name), ["cpu", "loadavg", "meminfo", "uptime", "filesystem", "diskstats", "netdev"])
        XCTAssertEqual(sampler.statuses.filter { !$0.success }.map(\.name), ["loadavg", "uptime", "filesystem", "diskstats", "netdev"])
    }

    func testRawCountersTravelWithTheReading() throws {
        let sampler = HostSampler(procRoot: ProcFixtures.path("proc-basic"), sysRoot: ProcFixtures.path("sys-basic"),
                                  statfs: { _ in nil })
        let r = sampler.sample(monotonicNanos: 1_000_000_000)
        XCTAssertEqual(r.diskCounters?.map(\.name), ["sda", "nvme0n1", "vdb"], "physical whole disks only")
        XCTAssertEqual(r.netCounters?.map(\.name), ["lo", "eth0", "docker0", "wlan0", "eth1"])
        XCTAssertEqual(r.netCounters?[1].rxBytes, 4_294_967_000)
    }
}
