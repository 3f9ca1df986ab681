import VitalsSupport
import VitalsTransport
import VitalsCore

/// `/api/v1/jobs[/{id}[/progress|complete|fail|cancel]]`: the host application's jobs,
/// admitted against the GPUs' free memory less the reservations of jobs admitted before.
/// Admission and progress answer on the I/O thread (a lock, arithmetic, queued writes);
/// reads that may touch the database run on a worker.
struct JobRoutes: RouteProvider {
    let scheduler: JobScheduler
    let advisor: AdvisorState

    static func jobPost(_ path: String, _ summary: String) -> RouteSpec {
        RouteSpec("POST", path, access: .job, tag: "jobs", summary: summary)
    }

    static let createSpec = jobPost("/api/v1/jobs", "Ask to start a job: 201 running with its GPU and reservation, 202 queued, or 409 with the reasons")
        .body(JobSchemas.createBody, required: true, example: #"{"name": "portrait batch", "kind": "generation", "vram_bytes": 12884901888, "queue": true}"#)
        .responds(201, "admitted: running, with the chosen GPU and its reservation", json: JobSchemas.job)
        .responds(202, "queued (queue: true), with its position", json: JobSchemas.job)
        .responds(409, "refused now (queue: false), or never possible here; blocking_issues and suggestions beside the error", json: JobSchemas.refusal)

    static let listSpec = RouteSpec.get("/api/v1/jobs", tag: "jobs", "Jobs, newest first")
        .query("state", Schema.oneOf(JobState.allCases.map(\.rawValue)).described("only jobs in this state"))
        .query("limit", Schema.integer(1...1000).defaulting(.number(100)))
        .query("before", Schema.integer(1...Int64.max).described("page back: jobs with a smaller id (next_before of the previous page)"))
        .responds(200, "the jobs", json: JobSchemas.jobList)
        .fails(500, "the database could not be read", .historyQueryFailed)

    static let oneSpec = RouteSpec.get("/api/v1/jobs/{id}", tag: "jobs", "One job: state, stages, progress, peak VRAM its processes held, duration")
        .path("id", Schema.integer(1...Int64.max))
        .responds(200, "the job", json: JobSchemas.job)
        .fails(404, "no job has this id", .notFound)

    static let progressSpec = jobPost("/api/v1/jobs/{id}/progress", "Report progress: percent, a smoothed rate and the ETA follow; a new stage name starts a stage")
        .path("id", Schema.integer(1...Int64.max))
        .body(JobSchemas.progressBody, required: true, example: #"{"step": 12, "total_steps": 50, "stage": "denoise"}"#)
        .responds(200, "the job's progress", json: JobSchemas.progress)
        .fails(404, "no job has this id", .notFound)
        .fails(409, "the job is queued or has ended", .jobNotRunning)

    static func endSpec(_ verb: String, _ summary: String) -> RouteSpec {
        jobPost("/api/v1/jobs/{id}/\(verb)", summary)
            .path("id", Schema.integer(1...Int64.max))
            .responds(200, "the ended job", json: JobSchemas.job)
            .fails(404, "no job has this id", .notFound)
            .fails(409, "the job has already ended" + (verb == "cancel" ? "" : ", or is still queued"), .jobNotRunning)
    }

    static let completeSpec = endSpec("complete", "The job finished well; its reservation is released and the queue moves")
    static let failSpec = endSpec("fail", "The job failed")
        .body(JobSchemas.failBody, required: false, example: #"{"error": "CUDA out of memory"}"#)
    static let cancelSpec = endSpec("cancel", "Cancel a queued or running job")

    func register(in routes: inout RouteTable) {
        let scheduler = self.scheduler, advisor = self.advisor

        routes.add(Self.createSpec, .inline { input in
            let b = input.body?.objectValue ?? [:]
            var r = JobRequest(name: b["name"]?.stringValue ?? "job")
            r.kind = b["kind"]?.stringValue.flatMap(JobKind.init(rawValue:)) ?? .other
            r.pid = b["pid"]?.intValue.map { Int32($0) }
            if let g = b["gpu"] { r.gpu = g.intValue.map { .index($0) } ?? GPUChoice(text: g.stringValue ?? "any") }
            let o = advisor.optimization
            r.workload = AdvisorJSON.mergeWorkload(o.workload, b)
            r.settings = AdvisorJSON.mergeSettings(o.settings, b)
            if let v = b["vram_bytes"]?.doubleValue {
                r.vramBytes = UInt64(v)
            } else {
                r.vramBytes = VRAMEstimator.estimate(r.workload, r.settings).peakBytes
                r.estimated = true
            }
            r.queue = b["queue"]?.boolValue ?? false
            r.priority = b["priority"]?.intValue ?? 0
            for (k, v) in b["labels"]?.objectValue ?? [:] { if let s = v.stringValue { r.labels[k] = s } }
            switch scheduler.submit(r) {
            case .running(let job): return .json(JobJSON.bytes(job, queuePosition: nil), status: 201)
            case .queued(let job, let position): return .json(JobJSON.bytes(job, queuePosition: position), status: 202)
            case .refused(let d): return Self.refusal(d)
            }
        })

        routes.add(Self.listSpec, .worker { input in
            let limit = input.int("limit") ?? 100
            do {
                let docs = try scheduler.list(states: input.string("state").flatMap(JobState.init(rawValue:)).map { [$0] } ?? [],
                                              limit: limit, before: input.int64("before"))
                let last = docs.last.flatMap { try? JSONValue.parse($0) }?["id"]?.intValue
                return .json { w in
                    w.beginObject()
                    w.key("jobs"); w.beginArray(); for d in docs { w.raw(d) }; w.endArray()
                    w.field("next_before", docs.count == limit ? last : nil)
                    w.endObject()
                }
            } catch {
                return .error(500, .historyQueryFailed, "\(error)")
            }
        })

        routes.add(Self.oneSpec, .worker { input in
            let id = input.int64("id") ?? 0
            guard let (job, position) = scheduler.job(id: id) else { return .error(404, .notFound, "no job with id \(id)") }
            return .json(JobJSON.bytes(job, queuePosition: position))
        })

        routes.add(Self.progressSpec, .inline { input in
            let b = input.body?.objectValue ?? [:]
            var u = JobScheduler.ProgressUpdate()
            u.step = b["step"]?.doubleValue.map { Int64($0) }
            u.totalSteps = b["total_steps"]?.doubleValue.map { Int64($0) }
            u.stage = b["stage"]?.stringValue
            u.message = b["message"]?.stringValue
            u.metrics = b["metrics"]?.objectValue.map { m in m.keys.sorted().compactMap { k in m[k]?.doubleValue.map { (k, $0) } } }
            let id = input.int64("id") ?? 0
            switch scheduler.progress(id: id, u) {
            case .success(let job):
                var w = JSONWriter(capacity: 256)
                JobJSON.writeProgress(job.progress ?? JobProgress(), stage: job.stages.last?.name, &w)
                return .json(w.bytes)
            case .failure(let e): return Self.updateError(e, id)
            }
        })

        for (spec, end) in [(Self.completeSpec, JobState.completed), (Self.failSpec, .failed), (Self.cancelSpec, .cancelled)] {
            routes.add(spec, .inline { input in
                let id = input.int64("id") ?? 0
                let message = end == .failed ? (input.body?["error"]?.stringValue ?? "failed") : nil
                switch scheduler.finish(id: id, as: end, error: message) {
                case .success(let job): return .json(JobJSON.bytes(job, queuePosition: nil))
                case .failure(let e): return Self.updateError(e, id)
                }
            })
        }
    }

    static func updateError(_ e: JobScheduler.UpdateError, _ id: Int64) -> HTTPResponse {
        switch e {
        case .notFound: return .error(404, .notFound, "no job with id \(id)")
        case .ended(let s): return .error(409, .jobNotRunning, "job \(id) has already ended (\(s.rawValue))")
        case .notRunning(let s): return .error(409, .jobNotRunning, "job \(id) is \(s.rawValue), not running")
        }
    }

    static func refusal(_ d: JobAdmission.Decision) -> HTTPResponse {
        let r = d.check
        let message = (d.couldEverFit ? "the job cannot start now: " : "the job can never start on this machine: ")
            + (r.blocking.map(\.message).joined(separator: "; "))
        return .json(status: 409) { w in
            w.beginObject()
            w.key("error"); w.beginObject()
            w.field("code", ErrorCode.jobRefused.rawValue)
            w.field("message", message)
            w.key("details"); w.beginObject(); w.field("could_ever_fit", d.couldEverFit); w.endObject()
            w.endObject()
            w.field("required_bytes", r.requiredBytes)
            w.field("gpu", r.gpu)
            AdvisorJSON.writeFindings(r, into: &w)
            w.endObject()
        }
    }
}
