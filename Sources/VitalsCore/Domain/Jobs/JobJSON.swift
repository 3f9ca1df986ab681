import VitalsSupport

/// A job as the API shows it, as the database keeps it, and as `generation_progress`
/// carries it: one encoder, and the decoder that reads the stored form back at start.
public enum JobJSON {
    public static func write(_ j: Job, queuePosition: Int?, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("id", j.id)
        w.field("name", j.name)
        w.field("kind", j.kind.rawValue)
        w.field("state", j.state.rawValue)
        w.field("pid", j.pid)
        w.field("requested_gpu", j.requestedGPU.text)
        w.field("gpu", j.gpu)
        w.field("gpu_uuid", j.gpuUUID)
        w.field("vram_bytes", j.vramBytes)
        w.field("priority", j.priority)
        w.key("labels"); ActivityEntry.writeLabels(j.labels, &w)
        w.field("queue_position", queuePosition)
        w.key("reservation")
        if let r = j.reservation {
            w.beginObject()
            w.field("gpu", r.gpu)
            w.field("bytes", r.bytes)
            w.field("held_bytes", r.heldBytes)
            w.field("outstanding_bytes", r.outstandingBytes)
            w.field("active", r.isActive)
            w.field("released_because", r.releasedBecause)
            w.endObject()
        } else { w.null() }
        w.key("progress")
        if let p = j.progress { writeProgress(p, stage: j.stages.last?.name, &w) } else { w.null() }
        w.key("stages"); w.beginArray()
        for s in j.stages {
            w.beginObject()
            w.field("name", s.name)
            w.field("started_ts", s.startedMs)
            w.field("ended_ts", s.endedMs)
            w.field("duration_ms", s.endedMs.map { $0 - s.startedMs })
            w.endObject()
        }
        w.endArray()
        w.field("peak_vram_bytes", j.peakVRAMBytes)
        w.field("created_ts", j.createdMs)
        w.field("started_ts", j.startedMs)
        w.field("ended_ts", j.endedMs)
        w.field("duration_ms", j.durationMs)
        w.field("error", j.error)
        w.endObject()
    }

    public static func bytes(_ j: Job, queuePosition: Int?) -> [UInt8] {
        var w = JSONWriter(capacity: 768)
        write(j, queuePosition: queuePosition, &w)
        return w.bytes
    }

    public static func writeProgress(_ p: JobProgress, stage: String?, _ w: inout JSONWriter) {
        w.beginObject()
        w.field("step", p.step)
        w.field("total_steps", p.totalSteps)
        w.field("percent", p.percent, decimals: 2)
        w.field("rate_steps_per_s", p.rate, decimals: 3)
        w.field("eta_s", p.etaSeconds, decimals: 1)
        w.field("stage", stage)
        w.field("message", p.message)
        w.key("metrics"); w.beginObject()
        for (k, v) in p.metrics { w.field(k, v, decimals: 6) }
        w.endObject()
        w.field("updated_ts", p.updatedMs)
        w.field("updates", p.updates)
        w.endObject()
    }

    /// The stored document back into a job (start-up only).
    public static func read(_ v: JSONValue) -> Job? {
        guard let o = v.objectValue, let id = o["id"]?.intValue, let name = o["name"]?.stringValue,
              let state = o["state"]?.stringValue.flatMap(JobState.init(rawValue:)),
              let created = o["created_ts"]?.doubleValue else { return nil }
        func i64(_ k: String) -> Int64? { o[k]?.doubleValue.map { Int64($0) } }
        var labels: [String: String] = [:]
        for (k, v) in o["labels"]?.objectValue ?? [:] { if let s = v.stringValue { labels[k] = s } }
        var job = Job(id: Int64(id), name: name, kind: o["kind"]?.stringValue.flatMap(JobKind.init(rawValue:)) ?? .other,
                      pid: o["pid"]?.intValue.map { Int32(truncatingIfNeeded: $0) },
                      requestedGPU: GPUChoice(text: o["requested_gpu"]?.stringValue ?? "any"),
                      vramBytes: UInt64(max(0, i64("vram_bytes") ?? 0)), priority: o["priority"]?.intValue ?? 0,
                      labels: labels, state: state, gpu: o["gpu"]?.intValue, gpuUUID: o["gpu_uuid"]?.stringValue,
                      reservation: nil, progress: nil, stages: [], peakVRAMBytes: i64("peak_vram_bytes").map { UInt64(max(0, $0)) },
                      createdMs: Int64(created), startedMs: i64("started_ts"), endedMs: i64("ended_ts"), error: o["error"]?.stringValue)
        for s in o["stages"]?.arrayValue ?? [] {
            guard let n = s["name"]?.stringValue, let st = s["started_ts"]?.doubleValue else { continue }
            job.stages.append(JobStage(name: n, startedMs: Int64(st), endedMs: s["ended_ts"]?.doubleValue.map { Int64($0) }))
        }
        if let p = o["progress"]?.objectValue {
            var pr = JobProgress()
            pr.step = p["step"]?.doubleValue.map { Int64($0) }
            pr.totalSteps = p["total_steps"]?.doubleValue.map { Int64($0) }
            pr.message = p["message"]?.stringValue
            pr.rate = p["rate_steps_per_s"]?.doubleValue
            pr.updatedMs = p["updated_ts"]?.doubleValue.map { Int64($0) } ?? 0
            pr.updates = p["updates"]?.doubleValue.map { Int64($0) } ?? 0
            for (k, v) in (p["metrics"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let d = v.doubleValue { pr.metrics.append((k, d)) }
            }
            job.progress = pr
        }
        return job
    }
}
