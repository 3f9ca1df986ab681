import VitalsSupport

/// Once per sampler tick: what NVML saw of each job's processes (reservations released
/// once held, peak VRAM), jobs whose process is gone, the queue re-checked, progress stored.
extension JobScheduler: SnapshotListener {
    public func snapshotTaken(_ snapshot: Snapshot, json: [UInt8]) {
        tick(snapshot)
    }

    public func tick(_ snapshot: Snapshot) {
        let now = time.wallMs()
        state.withLock { s in
            updateReservations(snapshot, nowMs: now, &s)
            findLost(nowMs: now, &s)
            advanceQueue(nowMs: now, &s)
            for id in s.dirty { if let j = s.active[id] { save(j, &s) } }
            s.dirty.removeAll()
        }
        if now - state.withLock({ $0.lastPruneMs }) >= 60_000 {
            state.withLock { $0.lastPruneMs = now }
            activity.prune()
            store?.pruneJobs(endedBefore: now - options.retentionMs)
        }
    }

    private func updateReservations(_ snapshot: Snapshot, nowMs: Int64, _ s: inout State) {
        let running = s.active.values.filter { $0.state == .running }
        guard !running.isEmpty else { return }
        let roots = Set(running.compactMap(\.pid))
        let devices = snapshot.gpu.devices
        let pids = devices.flatMap { ($0.processes ?? []).map(\.pid) }
        let owners = tree.owners(of: pids, roots: roots)
        for var job in running {
            var changed = false
            if let pid = job.pid {
                var total: UInt64 = 0
                for d in devices {
                    let held = (d.processes ?? []).filter { owners[$0.pid] == pid }.compactMap(\.usedMemoryBytes).reduce(0, +)
                    total += held
                    if var r = job.reservation, r.gpu == d.index, d.processes != nil, r.heldBytes != held {
                        r.heldBytes = held
                        job.reservation = r
                        changed = true
                    }
                }
                if total > (job.peakVRAMBytes ?? 0) { job.peakVRAMBytes = total; changed = true }
            }
            if var r = job.reservation, r.isActive {
                if r.heldBytes >= r.bytes { r.releasedBecause = "held" }
                else if nowMs - r.startedMs >= options.reservationGraceMs { r.releasedBecause = "expired" }
                if !r.isActive { job.reservation = r; changed = true }
            }
            if changed { s.active[job.id] = job; s.dirty.insert(job.id) }
        }
    }

    private func findLost(nowMs: Int64, _ s: inout State) {
        for job in s.active.values {
            guard let pid = job.pid else { continue }
            if tree.alive(pid) { s.missingSince[job.id] = nil; continue }
            let since = s.missingSince[job.id] ?? nowMs
            s.missingSince[job.id] = since
            if nowMs - since >= options.lostGraceMs {
                end(job.id, as: .lost, error: "process \(pid) is gone", &s)
            }
        }
    }
}

/// Counts for `/metrics` and health.
public struct JobStats: Sendable {
    public var queued = 0
    public var running = 0
    public var admitted = 0
    public var refused = 0
    public var endedByState: [JobState: Int] = [:]
    /// Outstanding reservations per GPU.
    public var reservedBytes: [Int: UInt64] = [:]
    public static let durationBuckets: [Double] = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400]
    /// Per bucket (not cumulative), +Inf last.
    public var durationCounts = [Int](repeating: 0, count: durationBuckets.count + 1)
    public var durationSum = 0.0
    /// When jobs completed in the last hour (throughput).
    public var completedTimes: [Int64] = []

    mutating func ended(_ job: Job, nowMs: Int64) {
        endedByState[job.state, default: 0] += 1
        if let ms = job.durationMs, job.startedMs != nil {
            let secs = Double(ms) / 1000
            let b = Self.durationBuckets.firstIndex { secs <= $0 } ?? Self.durationBuckets.count
            durationCounts[b] += 1
            durationSum += secs
        }
        if job.state == .completed { completedTimes.append(nowMs); trim(nowMs: nowMs) }
    }

    mutating func trim(nowMs: Int64) {
        if let i = completedTimes.firstIndex(where: { $0 > nowMs - 3_600_000 }) { completedTimes.removeFirst(i) }
        else { completedTimes.removeAll() }
    }

    public var completedLastHour: Int { completedTimes.count }
}
