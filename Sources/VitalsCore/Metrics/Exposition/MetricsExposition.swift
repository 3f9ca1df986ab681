import VitalsSupport
import Synchronization
/// The snapshot part of `/metrics`: every series of the metric table that has a Prometheus
/// name, in table order, values in base units.
public enum MetricsExposition {
    public static func write(_ s: Snapshot, into w: inout ExpositionWriter, table: [MetricSeries] = MetricTable.all) {
        for series in table {
            guard let name = series.prometheusName else { continue }
            w.family(name, help: series.help, kind: series.kind, unit: series.unit)
            let scale = series.scale
            series.forEachSample(in: s) { subject, v in w.sample(subject, v * scale) }
        }
    }
}

/// A part of `/metrics` that is not the snapshot (the daemon's own figures: HTTP, WebSocket),
/// rendered after the snapshot on every tick.
public typealias MetricsSection = @Sendable (inout ExpositionWriter) -> Void

/// `/metrics` encoded once per tick, in both formats, and served from those bytes until the
/// next: a scrape costs a lock and two references, like `/api/v1/system/stats`. The daemon's
/// own counters (requests, WebSocket messages) are therefore at most one tick old.
public final class MetricsCache: SnapshotListener {
    public struct Rendered: Sendable {
        public var prometheus: [UInt8]
        public var openMetrics: [UInt8]
        public func bytes(_ f: ExpositionFormat) -> [UInt8] { f == .prometheus ? prometheus : openMetrics }
    }

    private let box = Mutex<Rendered?>(nil)
    private let sections = Mutex<[MetricsSection]>([])
    private let sampler: (@Sendable () -> SamplerHealth)?

    /// - Parameter sampler: the sampler's health, for the tick figures (the last finished tick's).
    public init(samplerHealth: (@Sendable () -> SamplerHealth)? = nil) { sampler = samplerHealth }

    public func addSection(_ section: @escaping MetricsSection) { sections.withLock { $0.append(section) } }

    public var latest: Rendered? { box.withLock { $0 } }

    public func snapshotTaken(_ snapshot: Snapshot, json: [UInt8]) {
        let extra = sections.withLock { $0 }
        let health = sampler?()
        func render(_ format: ExpositionFormat) -> [UInt8] {
            var w = ExpositionWriter(format: format)
            MetricsExposition.write(snapshot, into: &w)
            if let health { Self.writeSampler(health, into: &w) }
            for section in extra { section(&w) }
            w.finish()
            return w.bytes
        }
        let rendered = Rendered(prometheus: render(.prometheus), openMetrics: render(.openMetrics))
        box.withLock { $0 = rendered }
    }

    static func writeSampler(_ h: SamplerHealth, into w: inout ExpositionWriter) {
        w.family("vitals_sampler_ticks", help: "Sampler ticks taken since start.", kind: .counter)
        w.sample(Double(h.ticks))
        guard h.ticks > 0 else { return }
        w.family("vitals_sampler_tick_duration_seconds",
                 help: "How long the last finished tick took: collectors, encoding and listeners.", kind: .gauge, unit: .seconds)
        w.sample(h.lastCostMicros / 1e6)
    }
}
