import VitalsSupport
import Synchronization

/// Admits, queues and tracks jobs.
///
/// Every decision and every change happens under one lock (`state`): two admissions,
/// whatever their timing, are decided one after the other, and the second sees the first
/// one's reservation. The lock also orders what is published, so one job's messages reach
/// `generation_progress` in the order they happened. Nothing under the lock waits for the
/// disk: stores are queued on the store's writer.
public final class JobScheduler: Sendable {
    public struct Options: Sendable {
        public var reservationGraceMs: Int64 = 120_000
        public var lostGraceMs: Int64 = 10_000
        public var retentionMs: Int64 = 30 * 86_400_000
        public var procRoot = "/proc"
        public init() {}
    }

    /// What the scheduler reads of the rest of the daemon, each at the moment it decides.
    public struct Inputs: Sendable {
        public var snapshot: @Sendable () -> Snapshot?
        public var constraints: @Sendable () -> ResourceConstraints
        public var settings: @Sendable () -> OptimizationSettings
        public init(snapshot: @escaping @Sendable () -> Snapshot?, constraints: @escaping @Sendable () -> ResourceConstraints,
                    settings: @escaping @Sendable () -> OptimizationSettings) {
            self.snapshot = snapshot; self.constraints = constraints; self.settings = settings
        }
    }

    /// Where messages go: `generation_progress` and `queue_updates` (JSON values).
    public struct Outputs: Sendable {
        public var progress: @Sendable ([UInt8]) -> Void
        public var queue: @Sendable ([UInt8]) -> Void
        public init(progress: @escaping @Sendable ([UInt8]) -> Void = { _ in }, queue: @escaping @Sendable ([UInt8]) -> Void = { _ in }) {
            self.progress = progress; self.queue = queue
        }
    }

    public enum Submission: Sendable {
        case running(Job)
        case queued(Job, position: Int)
        case refused(JobAdmission.Decision)
    }

    public enum UpdateError: Error, Sendable { case notFound, ended(JobState), notRunning(JobState) }

    public struct ProgressUpdate: Sendable {
        public var step: Int64?
        public var totalSteps: Int64?
        public var stage: String?
        public var message: String?
        public var metrics: [(String, Double)]?
        public init() {}
    }

    struct State {
        var active: [Int64: Job] = [:]
        /// Queued ids by priority (highest first), then arrival.
        var queue: [Int64] = []
        var requests: [Int64: JobRequest] = [:]
        var finished: [Int64: Job] = [:]
        var nextID: Int64 = 1
        var missingSince: [Int64: Int64] = [:]
        var dirty: Set<Int64> = []
        var lastPruneMs: Int64 = 0
        var stats = JobStats()
    }

    let state: Mutex<State>
    let store: HistoryStore?
    let time: any TimeSource
    let activity: ActivityLog
    let options: Options
    let inputs: Inputs
    let outputs: Outputs
    let tree: ProcessTree
    /// Recently ended jobs kept in memory, so that a late progress post is told the job
    /// ended (409) rather than not found; older ones are read from the database. A job a
    /// second for an hour (the soak) kept 1,000 and grew the heap by ~2 MiB until the cap.
    static let finishedKept = 100

    public init(store: HistoryStore?, time: any TimeSource, activity: ActivityLog, options: Options = Options(),
                inputs: Inputs, outputs: Outputs = Outputs()) {
        self.store = store; self.time = time; self.activity = activity; self.options = options
        self.inputs = inputs; self.outputs = outputs
        tree = ProcessTree(procRoot: options.procRoot)
        var s = State()
        var interrupted: [Job] = []
        // After a restart: queued jobs wait again, running ones did not survive it.
        if let store {
            do {
                s.nextID = (try store.maxJobID() ?? 0) + 1
                for doc in try store.jobDocuments(states: ["queued", "running"], limit: 100_000, before: nil).reversed() {
                    guard var job = (try? JSONValue.parse(doc)).flatMap(JobJSON.read) else { continue }
                    if job.state == .running {
                        job.state = .interrupted
                        job.endedMs = time.wallMs()
                        job.error = "the daemon stopped while the job ran"
                        if let i = job.stages.indices.last, job.stages[i].endedMs == nil { job.stages[i].endedMs = job.endedMs }
                        interrupted.append(job)
                        s.finished[job.id] = job
                        s.stats.ended(job, nowMs: time.wallMs())
                    } else {
                        var r = JobRequest(name: job.name)
                        r.kind = job.kind; r.pid = job.pid; r.gpu = job.requestedGPU; r.vramBytes = job.vramBytes
                        r.queue = true; r.priority = job.priority; r.labels = job.labels
                        s.active[job.id] = job
                        s.requests[job.id] = r
                        Self.enqueue(job, &s)
                    }
                }
            } catch {
                Log.warn("jobs could not be read back; starting with none", ["error": "\(error)"])
            }
        }
        state = Mutex(s)
        for job in interrupted {
            store?.saveJob(id: job.id, state: job.state.rawValue, createdMs: job.createdMs, endedMs: job.endedMs,
                           json: JobJSON.bytes(job, queuePosition: nil))
            activity.record(kind: "job_interrupted", message: "job \(job.id) \(job.name) was running when the daemon stopped",
                            labels: ["job_id": String(job.id), "job": job.name])
        }
    }

    static func enqueue(_ job: Job, _ s: inout State) {
        let at = s.queue.firstIndex { id in
            guard let other = s.active[id] else { return false }
            return other.priority < job.priority
        } ?? s.queue.endIndex
        s.queue.insert(job.id, at: at)
    }

    static func outstanding(_ s: State) -> [Int: UInt64] {
        var out: [Int: UInt64] = [:]
        for job in s.active.values {
            if let r = job.reservation, r.isActive { out[r.gpu, default: 0] += r.outstandingBytes }
        }
        return out
    }

    static func runningCount(_ s: State) -> Int { s.active.values.lazy.filter { $0.state == .running }.count }

    // MARK: submit

    public func submit(_ req: JobRequest) -> Submission {
        state.withLock { s in
            let now = time.wallMs()
            let queuedAhead = s.queue.contains { s.active[$0].map { $0.priority >= req.priority } ?? false }
            var d = JobAdmission.decide(req, snapshot: inputs.snapshot(), outstanding: Self.outstanding(s), running: Self.runningCount(s),
                                        constraints: inputs.constraints(), settings: inputs.settings())
            if queuedAhead && d.allowed {
                d.check.blocking.append(ResourceIssue(resource: "jobs", figure: Double(s.queue.count), limit: 0, unit: "jobs",
                                                      message: "\(s.queue.count) queued job\(s.queue.count == 1 ? "" : "s") of this priority or higher come first"))
                d.check.allowed = false
            }
            var job = Job(id: s.nextID, name: req.name, kind: req.kind, pid: req.pid, requestedGPU: req.gpu, vramBytes: req.vramBytes,
                          priority: req.priority, labels: req.labels, state: .queued, gpu: nil, gpuUUID: nil,
                          reservation: nil, progress: nil, createdMs: now)
            if d.allowed {
                s.nextID += 1
                start(&job, d, nowMs: now, &s)
                return .running(job)
            }
            guard req.queue, d.couldEverFit else {
                s.stats.refused += 1
                return .refused(d)
            }
            s.nextID += 1
            s.active[job.id] = job
            s.requests[job.id] = req
            Self.enqueue(job, &s)
            let position = (s.queue.firstIndex(of: job.id) ?? 0) + 1
            save(job, &s)
            publishState(job, position: position)
            publishQueue("queued", job.id, s)
            activity.record(kind: "job_queued", message: "job \(job.id) \(job.name) queued at position \(position): "
                            + (d.check.blocking.first?.message ?? "waiting"), labels: labels(job))
            return .queued(job, position: position)
        }
    }

    /// Makes a job running with its reservation (under the lock).
    private func start(_ job: inout Job, _ d: JobAdmission.Decision, nowMs: Int64, _ s: inout State) {
        job.state = .running
        job.startedMs = nowMs
        job.gpu = d.gpu
        job.gpuUUID = d.gpuUUID
        if let g = d.gpu, job.vramBytes > 0 {
            job.reservation = Reservation(gpu: g, bytes: job.vramBytes, startedMs: nowMs)
        }
        s.active[job.id] = job
        s.requests[job.id] = nil
        s.stats.admitted += 1
        save(job, &s)
        publishState(job, position: nil)
        activity.record(kind: "job_admitted", message: "job \(job.id) \(job.name) started"
                        + (job.gpu.map { " on GPU \($0) with \(Bytes.gib(job.vramBytes)) reserved" } ?? ""), labels: labels(job))
    }

    /// Admits queued jobs from the head while they fit (under the lock).
    func advanceQueue(nowMs: Int64, _ s: inout State) {
        while let head = s.queue.first, var job = s.active[head], let req = s.requests[head] {
            let d = JobAdmission.decide(req, snapshot: inputs.snapshot(), outstanding: Self.outstanding(s), running: Self.runningCount(s),
                                        constraints: inputs.constraints(), settings: inputs.settings())
            guard d.allowed else { break }
            s.queue.removeFirst()
            start(&job, d, nowMs: nowMs, &s)
            publishQueue("admitted", job.id, s)
        }
    }

    // MARK: progress and end

    public func progress(id: Int64, _ u: ProgressUpdate) -> Result<Job, UpdateError> {
        state.withLock { s in
            guard var job = s.active[id] else { return .failure(s.finished[id].map { .ended($0.state) } ?? .notFound) }
            guard job.state == .running else { return .failure(.notRunning(job.state)) }
            let now = time.wallMs()
            var p = job.progress ?? JobProgress()
            if let t = u.totalSteps { p.totalSteps = t }
            if let step = u.step { p.advance(to: step, nowMs: now) }
            if let m = u.message { p.message = m }
            if let m = u.metrics { p.metrics = m }
            if let stage = u.stage, job.stages.last.map({ $0.name != stage || $0.endedMs != nil }) ?? true {
                if let i = job.stages.indices.last, job.stages[i].endedMs == nil { job.stages[i].endedMs = now }
                job.stages.append(JobStage(name: stage, startedMs: now))
            }
            p.updates += 1
            p.updatedMs = now
            job.progress = p
            s.active[id] = job
            s.dirty.insert(id)
            var w = JSONWriter(capacity: 384)
            w.beginObject()
            w.field("type", "progress")
            w.field("job_id", job.id)
            w.field("name", job.name)
            w.field("state", job.state.rawValue)
            w.field("gpu", job.gpu)
            w.key("progress"); JobJSON.writeProgress(p, stage: job.stages.last?.name, &w)
            w.endObject()
            outputs.progress(w.bytes)
            return .success(job)
        }
    }

    /// Completes, fails or cancels a job (cancel also takes a queued one).
    public func finish(id: Int64, as end: JobState, error: String? = nil) -> Result<Job, UpdateError> {
        state.withLock { s in
            guard let job = s.active[id] else { return .failure(s.finished[id].map { .ended($0.state) } ?? .notFound) }
            if job.state == .queued && end != .cancelled { return .failure(.notRunning(.queued)) }
            let ended = self.end(id, as: end, error: error, &s)
            advanceQueue(nowMs: time.wallMs(), &s)
            return .success(ended)
        }
    }

    /// Ends a job (under the lock): reservation released, stored, published, told.
    @discardableResult
    func end(_ id: Int64, as end: JobState, error: String?, _ s: inout State) -> Job {
        var job = s.active.removeValue(forKey: id)!
        let now = time.wallMs()
        let wasQueued = job.state == .queued
        job.state = end
        job.endedMs = now
        job.error = error
        if let i = job.stages.indices.last, job.stages[i].endedMs == nil { job.stages[i].endedMs = now }
        if job.reservation?.isActive == true { job.reservation?.releasedBecause = "ended" }
        s.requests[id] = nil
        s.missingSince[id] = nil
        s.dirty.remove(id)
        if wasQueued { s.queue.removeAll { $0 == id } }
        s.finished[id] = job
        if s.finished.count > Self.finishedKept, let oldest = s.finished.keys.min() { s.finished[oldest] = nil }
        s.stats.ended(job, nowMs: now)
        save(job, &s)
        publishState(job, position: nil)
        if wasQueued { publishQueue("removed", id, s) }
        let what: String
        switch end {
        case .completed: what = "completed"
        case .failed: what = "failed" + (error.map { ": \($0)" } ?? "")
        case .cancelled: what = "was cancelled"
        case .lost: what = "was lost: its process \(job.pid.map(String.init) ?? "") is gone"
        default: what = end.rawValue
        }
        let duration = job.durationMs.map { " after \(Double($0) / 1000) s" } ?? ""
        activity.record(kind: "job_\(end.rawValue)", message: "job \(job.id) \(job.name) \(what)\(duration)", labels: labels(job))
        return job
    }

    // MARK: reading

    /// A job and its queue position: the live one, else the stored one.
    public func job(id: Int64) -> (job: Job, position: Int?)? {
        if let found = state.withLock({ s -> (Job, Int?)? in
            if let j = s.active[id] { return (j, s.queue.firstIndex(of: id).map { $0 + 1 }) }
            return s.finished[id].map { ($0, nil) }
        }) { return found }
        guard let store else { return nil }
        store.waitForWrites()
        return (try? store.jobDocument(id: id)).flatMap { $0 }.flatMap { try? JSONValue.parse($0) }.flatMap(JobJSON.read).map { ($0, nil) }
    }

    /// Jobs, newest first, as API documents: active ones live, the rest from the database.
    public func list(states: [JobState], limit: Int, before: Int64?) throws -> [[UInt8]] {
        let wanted = Set(states.map(\.rawValue))
        // id -> (state, document); stored documents of active jobs may lag by a tick.
        let known: [Int64: (String, [UInt8])] = state.withLock { s in
            var m: [Int64: (String, [UInt8])] = [:]
            for j in s.active.values { m[j.id] = (j.state.rawValue, JobJSON.bytes(j, queuePosition: s.queue.firstIndex(of: j.id).map { $0 + 1 })) }
            if store == nil { for j in s.finished.values { m[j.id] = (j.state.rawValue, JobJSON.bytes(j, queuePosition: nil)) } }
            return m
        }
        var candidates: [(Int64, String, [UInt8])] = []
        if let store {
            store.waitForWrites()
            // An ended job's stored state is final; an active job's (queued or running) may
            // lag a tick and is replaced by the live one. So the database filters by the
            // wanted states plus the active ones, and returns enough rows to make up for
            // active jobs whose live state turns out not to be wanted.
            let stored = wanted.isEmpty ? [] : Array(wanted.union([JobState.queued.rawValue, JobState.running.rawValue])).sorted()
            for doc in try store.jobDocuments(states: stored, limit: limit + known.count, before: before) {
                guard let v = try? JSONValue.parse(doc), let id = v["id"]?.intValue.map(Int64.init) else { continue }
                if let live = known[id] { candidates.append((id, live.0, live.1)) }
                else { candidates.append((id, v["state"]?.stringValue ?? "", doc)) }
            }
        } else {
            candidates = known.filter { id, _ in before.map { id < $0 } ?? true }.map { ($0.key, $0.value.0, $0.value.1) }.sorted { $0.0 > $1.0 }
        }
        return Array(candidates.lazy.filter { wanted.isEmpty || wanted.contains($0.1) }.map(\.2).prefix(limit))
    }

    public var stats: JobStats {
        state.withLock { s in
            var st = s.stats
            st.queued = s.queue.count
            st.running = Self.runningCount(s)
            st.reservedBytes = Self.outstanding(s)
            st.trim(nowMs: time.wallMs())
            return st
        }
    }

    /// Stores progress not yet written (at shutdown).
    public func flush() {
        state.withLock { s in
            for id in s.dirty { if let j = s.active[id] { save(j, &s) } }
            s.dirty.removeAll()
        }
    }

    // MARK: helpers (under the lock)

    func save(_ job: Job, _ s: inout State) {
        store?.saveJob(id: job.id, state: job.state.rawValue, createdMs: job.createdMs, endedMs: job.endedMs,
                       json: JobJSON.bytes(job, queuePosition: nil))
    }

    func publishState(_ job: Job, position: Int?) {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("type", "state")
        w.field("job_id", job.id)
        w.field("state", job.state.rawValue)
        w.key("job"); JobJSON.write(job, queuePosition: position, &w)
        w.endObject()
        outputs.progress(w.bytes)
    }

    func publishQueue(_ reason: String, _ id: Int64, _ s: State) {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.field("type", "queue")
        w.field("reason", reason)
        w.field("job_id", id)
        w.field("running", Self.runningCount(s))
        w.key("queue"); w.beginArray()
        for (i, qid) in s.queue.enumerated() {
            guard let j = s.active[qid] else { continue }
            w.beginObject()
            w.field("id", j.id); w.field("name", j.name); w.field("position", i + 1); w.field("priority", j.priority)
            w.field("vram_bytes", j.vramBytes); w.field("requested_gpu", j.requestedGPU.text)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        outputs.queue(w.bytes)
    }

    func labels(_ job: Job) -> [String: String] {
        var l = job.labels
        l["job_id"] = String(job.id)
        l["job"] = job.name
        l["kind"] = job.kind.rawValue
        if let g = job.gpu { l["gpu"] = String(g) }
        return l
    }
}
