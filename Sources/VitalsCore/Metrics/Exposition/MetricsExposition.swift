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

/// `/metrics` encoded at most once per tick and format (and gzipped at most once, for
/// scrapers that accept it), and served from those bytes until the next tick: the listener
/// only keeps the snapshot (the tick pays nothing for a page no one scrapes); the first
/// scrape after a tick renders it, every other scrape of that tick costs a lock and a
/// reference, like `/api/v1/system/stats`. The daemon's own counters
/// (requests, WebSocket messages) are read at that render, so they are at most a tick old.
public final class MetricsCache: SnapshotListener {
    private struct State {
        var snapshot: Snapshot
        var health: SamplerHealth?
        var prometheus: [UInt8]?
        var openMetrics: [UInt8]?
        var prometheusGzip: [UInt8]?
        var openMetricsGzip: [UInt8]?
    }

    private let state = Mutex<State?>(nil)
    private let sections = Mutex<[MetricsSection]>([])
    private let sampler: (@Sendable () -> SamplerHealth)?
    private let compat: Set<MetricsCompat>

    /// - Parameters:
    ///   - samplerHealth: the sampler's health, for the tick figures (the last finished tick's).
    ///   - compat: other exporters' series to add (`metrics.compat`).
    public init(samplerHealth: (@Sendable () -> SamplerHealth)? = nil, compat: Set<MetricsCompat> = []) {
        sampler = samplerHealth
        self.compat = compat
    }

    public func addSection(_ section: @escaping MetricsSection) { sections.withLock { $0.append(section) } }

    public func snapshotTaken(_ snapshot: Snapshot, json: [UInt8]) {
        let health = sampler?()
        state.withLock { $0 = State(snapshot: snapshot, health: health) }
    }

    /// The exposition of the latest tick in `format`; nil before the first tick. Rendering
    /// under the lock is deliberate: concurrent first scrapes of a tick wait for one render
    /// (tens of µs) instead of each doing it. Every other scrape reads one field under the
    /// lock (the bytes' reference), not a copy of the whole state with its snapshot.
    public func bytes(_ format: ExpositionFormat) -> [UInt8]? {
        state.withLock { box -> [UInt8]? in
            guard box != nil else { return nil }
            return identity(&box!, format)
        }
    }

    /// The same bytes gzipped, compressed at most once per tick and format (Prometheus
    /// always sends `Accept-Encoding: gzip`: ~15 KB become ~3 KB on the wire). Nil before
    /// the first tick or if zlib fails; the identity bytes then do.
    public func gzipBytes(_ format: ExpositionFormat) -> [UInt8]? {
        state.withLock { box -> [UInt8]? in
            guard box != nil else { return nil }
            switch format {
            case .prometheus: if let done = box!.prometheusGzip { return done }
            case .openMetrics: if let done = box!.openMetricsGzip { return done }
            }
            guard let packed = Gzip.compress(identity(&box!, format)) else { return nil }
            switch format {
            case .prometheus: box!.prometheusGzip = packed
            case .openMetrics: box!.openMetricsGzip = packed
            }
            return packed
        }
    }

    private func identity(_ s: inout State, _ format: ExpositionFormat) -> [UInt8] {
        switch format {
        case .prometheus: if let done = s.prometheus { return done }
        case .openMetrics: if let done = s.openMetrics { return done }
        }
        let rendered = render(s.snapshot, health: s.health, format: format)
        switch format {
        case .prometheus: s.prometheus = rendered
        case .openMetrics: s.openMetrics = rendered
        }
        return rendered
    }

    private func render(_ snapshot: Snapshot, health: SamplerHealth?, format: ExpositionFormat) -> [UInt8] {
        var w = ExpositionWriter(format: format)
        MetricsExposition.write(snapshot, into: &w)
        if !compat.isEmpty { CompatExposition.write(snapshot, sets: compat, into: &w) }
        if let health { Self.writeSampler(health, into: &w) }
        for section in sections.withLock({ $0 }) { section(&w) }
        w.finish()
        return w.bytes
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
