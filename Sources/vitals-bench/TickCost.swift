import Glibc
import VitalsSupport
import VitalsCore
import VitalsAPI

/// The sampler's tick as the daemon wires it (collectors on this machine's /proc, encoding,
/// every listener), driven in a loop without the server: the per-tick cost the health
/// endpoint averages, as a distribution, and a steady loop for `perf record`.
enum TickCost {
    static func run(dataDir: String, ticks: Int, gapMs: Int) throws(BenchError) -> String {
        var config = VitalsConfig()
        config.dataDir = dataDir
        let app: VitalsApp
        do { app = try VitalsApp(config: config) } catch { throw BenchError("\(error)") }
        let time = SystemTime()
        // The first ticks have no rates yet (and load NVML): not counted.
        for _ in 0..<3 { app.sampler.tick(wallMs: time.wallMs(), monoNs: time.monotonicNs()) }
        var costs: [Double] = []
        costs.reserveCapacity(ticks)
        for _ in 0..<ticks {
            if gapMs > 0 { usleep(UInt32(gapMs) * 1000) }
            app.sampler.tick(wallMs: time.wallMs(), monoNs: time.monotonicNs())
            costs.append(app.sampler.health.lastCostMicros)
        }
        app.store?.flush()
        costs.sort()
        func at(_ q: Double) -> String { Fixed.format(costs[min(costs.count - 1, Int(Double(costs.count) * q))], 1) }
        return "ticks=\(ticks) gap_ms=\(gapMs) median_us=\(at(0.5)) p90_us=\(at(0.9)) min_us=\(at(0))"
    }
}
