import VitalsSupport
/// One reader of one part of the host (a /proc or /sys file, statvfs, ...), in the spirit of
/// node_exporter's `Collector` and netdata's proc modules. The sampler runs every collector
/// of its list once per tick, times each one and records whether it worked; a collector
/// that throws leaves its part of the reading empty and the others run on regardless.
///
/// Adding a reader: one file with a type conforming to this, plus one line in
/// `HostCollectors.standard`. Parsing stays in pure parser types tested on fixtures.
protocol HostCollector: AnyObject {
    /// Stable and label-safe: it is `collector` in `vitals_collector_success{collector=...}`.
    var name: String { get }
    /// Reads this collector's part into `reading`. Collectors run on the sampler thread only,
    /// so they may keep the previous reading for rates without locking.
    func collect(into reading: inout HostReading, context: CollectorContext) throws(CollectorError)
}

/// What every collector of one tick shares: the tick's monotonic time (rates are taken
/// over it) and the reusable file buffer (a tick reads a dozen files without heap traffic).
struct CollectorContext {
    let monotonicNanos: UInt64
    let files: ProcFileReader
}

/// Why a collector read nothing this tick; `message` becomes one line of the snapshot's `errors`.
struct CollectorError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension Result where Failure == ProcReadError {
    /// The value, or a collector error prefixed with what was being read ("loadavg: cannot open ...").
    func value(_ what: String) throws(CollectorError) -> Success {
        switch self {
        case .success(let v): return v
        case .failure(let e): throw CollectorError(what + ": " + e.message)
        }
    }
}

/// How one collector fared on the last tick it ran: what `/metrics` exports as
/// `vitals_collector_success` and `vitals_collector_duration_seconds`, and health shows.
public struct CollectorStatus: Sendable, Equatable {
    public var name: String
    public var success: Bool
    public var durationSeconds: Double
    public init(name: String, success: Bool, durationSeconds: Double) {
        self.name = name; self.success = success; self.durationSeconds = durationSeconds
    }
}
