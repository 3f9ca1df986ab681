import Synchronization

/// Where every part of Vitals reads the time: wall time stamps samples and events;
/// monotonic time measures intervals, ages and timeouts, so a clock step (NTP, suspend)
/// never yields a negative rate or an early timeout. The daemon passes one `SystemTime`
/// down to every part; tests pass a `ManualTime` and move it by hand.
public protocol TimeSource: Sendable {
    /// Milliseconds since the Unix epoch.
    func wallMs() -> Int64
    /// Nanoseconds on a clock that never goes back.
    func monotonicNs() -> UInt64
}

extension TimeSource {
    public func monotonicMs() -> Int64 { Int64(monotonicNs() / 1_000_000) }
}

/// The machine's clocks (CLOCK_REALTIME and CLOCK_MONOTONIC).
public struct SystemTime: TimeSource {
    public init() {}
    public func wallMs() -> Int64 { Clock.wallMs() }
    public func monotonicNs() -> UInt64 { Clock.monotonicNs() }
}

/// A clock that moves only when told to: `advance` moves both clocks, `setWall` only the
/// wall clock (a clock step).
public final class ManualTime: TimeSource {
    private let state: Mutex<(wall: Int64, mono: UInt64)>

    public init(wallMs: Int64 = 1_800_000_000_000, monotonicNs: UInt64 = 1_000_000_000_000) {
        state = Mutex((wallMs, monotonicNs))
    }

    public func wallMs() -> Int64 { state.withLock { $0.wall } }
    public func monotonicNs() -> UInt64 { state.withLock { $0.mono } }

    public func advance(ms: Int64) {
        state.withLock { $0.wall += ms; $0.mono += UInt64(max(0, ms)) * 1_000_000 }
    }

    public func advance(seconds: Double) { advance(ms: Int64(seconds * 1000)) }

    public func setWall(_ ms: Int64) { state.withLock { $0.wall = ms } }
}
