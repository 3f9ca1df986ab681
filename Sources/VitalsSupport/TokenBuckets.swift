import Synchronization

/// Token buckets by key (a client's address): each key may spend `burst` at once and
/// earns `perMinute` back over a minute. One small lock and a dictionary lookup per call,
/// cheap enough to leave on for every state-changing request.
public final class TokenBuckets: Sendable {
    public let perMinute: Double
    public let burst: Double
    private let time: any TimeSource
    private let state = Mutex<[String: Bucket]>([:])
    /// Past this many keys the full (idle) buckets are dropped: a flood of addresses
    /// cannot grow the table without bound.
    private let maxKeys: Int

    private struct Bucket { var tokens: Double; var atMs: Int64 }

    public init(perMinute: Int, burst: Int, time: any TimeSource, maxKeys: Int = 10_000) {
        self.perMinute = Double(perMinute)
        self.burst = Double(max(1, burst))
        self.time = time
        self.maxKeys = maxKeys
    }

    /// Takes one token for `key`: nil when granted, else the seconds until one is earned.
    public func take(_ key: String) -> Int? {
        let now = time.monotonicMs()
        return state.withLock { buckets -> Int? in
            var b = buckets[key] ?? Bucket(tokens: burst, atMs: now)
            b.tokens = min(burst, b.tokens + Double(max(0, now - b.atMs)) * perMinute / 60_000)
            b.atMs = now
            defer {
                if buckets.count >= maxKeys && buckets[key] == nil { prune(&buckets, now: now) }
                buckets[key] = b
            }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            guard perMinute > 0 else { return 60 }
            return max(1, Int(((1 - b.tokens) * 60 / perMinute).rounded(.up)))
        }
    }

    /// Keys currently tracked.
    var keyCount: Int { state.withLock { $0.count } }

    /// Whether `key` has a token left, without taking it.
    public func isEmpty(_ key: String) -> Bool {
        let now = time.monotonicMs()
        return state.withLock { buckets in
            guard let b = buckets[key] else { return false }
            return b.tokens + Double(max(0, now - b.atMs)) * perMinute / 60_000 < 1
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: Int64) {
        buckets = buckets.filter { _, b in
            b.tokens + Double(max(0, now - b.atMs)) * perMinute / 60_000 < burst
        }
        // Everyone is mid-burst: forget the oldest half rather than grow.
        if buckets.count >= maxKeys {
            let keep = buckets.sorted { $0.value.atMs > $1.value.atMs }.prefix(maxKeys / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
