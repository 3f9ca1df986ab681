import VitalsSupport
import Glibc
import Synchronization

/// The latest snapshot and its JSON, swapped whole once per tick. Readers (HTTP threads)
/// take the lock only long enough to copy two references.
public final class LatestSnapshot: Sendable {
    private let box = Mutex<(snapshot: Snapshot, json: [UInt8])?>(nil)
    public init() {}
    public func set(_ s: Snapshot, json: [UInt8]) { box.withLock { $0 = (s, json) } }
    public var value: (snapshot: Snapshot, json: [UInt8])? { box.withLock { $0 } }
    /// Only the JSON (one reference), for `/api/v1/system/stats`: no copy of the snapshot's
    /// arrays and strings on every request.
    public var json: [UInt8]? { box.withLock { $0?.json } }
}

/// What the health endpoint needs to know about the sampler.
public struct SamplerHealth: Sendable {
    public var lastTickWallMs: Int64?
    public var ticks: UInt64
    public var lastCostMicros: Double
    public var avgCostMicros: Double
    public var intervalMs: Int
    /// How each collector fared on the last tick (see `Snapshot.collectors`).
    public var collectors: [CollectorStatus] = []
}

/// Ticks every `intervalMs` on its own thread, aligned to the wall clock (ticks land on
/// :00.000, :00.500, ...), reads /proc and NVML once, builds one snapshot, encodes it
/// once, and hands it to every listener (history, WebSocket fan-out, `/metrics`, ...).
/// It owns no store: what happens to a snapshot is the listeners' business.
public final class Sampler: @unchecked Sendable {
    // @unchecked: `host`, `gpuReader`, `previousMono`, `lastGPUProcessesMs`, the logged state
    // and `seq` are used only on the sampler thread (or before it starts); the rest is
    // Mutex/Atomic or immutable.
    public let intervalMs: Int
    private let time: any TimeSource
    public let latest = LatestSnapshot()
    private let host: HostSampler
    private let makeGPUReader: (@Sendable () -> NVMLReader)?
    /// PCI power states from sysfs, so sleeping GPUs are not woken by NVML.
    private let gpuPower: PCIPowerReader?
    private var gpuReader: NVMLReader?
    private let gpuProcessIntervalMs: Int64
    private let listeners = Mutex<[any SnapshotListener]>([])
    private let healthBox: Mutex<SamplerHealth>
    private let waiter = Waiter()
    private let running = Atomic<Bool>(false)
    private var thread: pthread_t?
    private var seq: UInt64 = 0
    private var previousMono: UInt64?
    private var hostInfo: HostInfo
    private var hostInfoReadMs: Int64 = 0
    private var lastGPUProcessesMs: Int64?
    private var loggedGPUState: String?

    public init(intervalMs: Int, host: HostSampler, gpu: (@Sendable () -> NVMLReader)?, gpuProcessIntervalMs: Int,
                gpuPower: PCIPowerReader? = nil, time: any TimeSource = SystemTime()) {
        self.intervalMs = intervalMs
        self.gpuPower = gpuPower
        self.time = time
        self.host = host
        self.makeGPUReader = gpu
        self.gpuProcessIntervalMs = Int64(gpuProcessIntervalMs)
        self.hostInfo = host.hostInfo()
        self.healthBox = Mutex(SamplerHealth(lastTickWallMs: nil, ticks: 0, lastCostMicros: 0, avgCostMicros: 0, intervalMs: intervalMs))
    }

    public var health: SamplerHealth { healthBox.withLock { $0 } }

    /// Called on the sampler thread after each tick with the snapshot and its JSON.
    public func addListener(_ listener: any SnapshotListener) {
        listeners.withLock { $0.append(listener) }
    }

    public func onSnapshot(_ listener: @escaping @Sendable (Snapshot, [UInt8]) -> Void) {
        addListener(ClosureSnapshotListener(listener))
    }

    /// Takes the first sample now (so the API answers from the first request), then ticks on a thread.
    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        tick(wallMs: time.wallMs(), monoNs: time.monotonicNs(), withGPU: false)
        thread = spawnThread(name: "vitals-sampler") { [self] in run() }
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        waiter.wake()
        if let t = thread { pthread_join(t, nil) }
        thread = nil
        gpuReader?.shutdown()
        gpuReader = nil
    }

    private func run() {
        let interval = Int64(intervalMs)
        while running.load(ordering: .acquiring) {
            let now = time.wallMs()
            let next = (now / interval + 1) * interval
            if waiter.wait(untilWallMs: next) { break }
            if !running.load(ordering: .acquiring) { break }
            tick(wallMs: time.wallMs(), monoNs: time.monotonicNs(), withGPU: true)
        }
    }

    /// One sample. Public so tests drive ticks with a fake clock on fixture trees.
    @discardableResult
    public func tick(wallMs: Int64, monoNs: UInt64, withGPU: Bool = true) -> Snapshot {
        let started = Clock.monotonicNs()
        if wallMs - hostInfoReadMs > 60_000 {
            hostInfo = host.hostInfo()
            hostInfoReadMs = wallMs
        }
        let reading = host.sample(monotonicNanos: monoNs)
        var collectors = host.statuses
        let gpu: GPUStatus
        if withGPU && makeGPUReader != nil {
            // NVML is timed and reported like a host collector; "no GPU" counts as a failed read.
            let gpuStarted = Clock.monotonicNs()
            gpu = sampleGPU(wallMs: wallMs)
            let ok: Bool
            if case .available = gpu { ok = true } else { ok = false }
            collectors.append(CollectorStatus(name: "nvml", success: ok, durationSeconds: Double(Clock.monotonicNs() &- gpuStarted) / 1e9))
        } else {
            gpu = initialGPUStatus
        }
        let interval = previousMono.map { Double(monoNs &- $0) / 1_000_000 }
        previousMono = monoNs
        seq += 1
        let snap = Snapshot(seq: seq, ts: wallMs, intervalMs: interval, host: hostInfo, reading: reading, gpu: gpu,
                            collectors: collectors)
        let json = SnapshotJSON.encode(snap)
        latest.set(snap, json: json)
        for l in listeners.withLock({ $0 }) { l.snapshotTaken(snap, json: json) }
        if withGPU { logGPUTransition(gpu) }
        // The whole tick: reading, encoding, queueing history and fan-out to listeners.
        let cost = Double(Clock.monotonicNs() - started) / 1000
        healthBox.withLock {
            $0.lastTickWallMs = wallMs
            $0.ticks += 1
            $0.lastCostMicros = cost
            $0.avgCostMicros = $0.ticks == 1 ? cost : $0.avgCostMicros * 0.95 + cost * 0.05
            $0.collectors = collectors
        }
        return snap
    }

    /// One log line when the GPU changes state, not one per tick.
    private func logGPUTransition(_ gpu: GPUStatus) {
        let state: String
        switch gpu {
        case .unavailable(let reason): state = "unavailable: " + reason
        case .available(let driver, _, _, let devices): state = "\(devices.count) GPU(s), driver \(driver ?? "unknown")"
        }
        if state != loggedGPUState {
            if case .available = gpu { Log.info("gpu", ["state": state]) } else { Log.warn("gpu", ["state": state]) }
            loggedGPUState = state
        }
    }

    private var initialGPUStatus: GPUStatus {
        makeGPUReader == nil ? .unavailable(reason: "disabled in config (gpu.enabled = false)") : .unavailable(reason: "initializing")
    }

    /// Process lists are the costly NVML call: refreshed every `gpuProcessIntervalMs`;
    /// on the ticks in between the reader repeats the last list without asking NVML.
    private func sampleGPU(wallMs: Int64) -> GPUStatus {
        // Created here, on the first tick that wants GPUs: loading NVML can take a while on
        // a real driver, and the start-up sample must not wait for it.
        if gpuReader == nil, let make = makeGPUReader { gpuReader = make() }
        guard let reader = gpuReader else { return initialGPUStatus }
        let refresh = lastGPUProcessesMs.map { wallMs - $0 >= gpuProcessIntervalMs || wallMs < $0 } ?? true
        if refresh { lastGPUProcessesMs = wallMs }
        return reader.sample(includeProcesses: refresh, power: gpuPower?.read(monotonicMs: time.monotonicMs()) ?? [])
    }
}
