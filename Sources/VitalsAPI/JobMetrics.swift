import VitalsSupport
import VitalsCore

/// The scheduler's figures as `/metrics` families.
func writeJobMetrics(_ s: JobStats, into w: inout ExpositionWriter) {
    w.family("vitals_jobs", help: "Jobs queued or running now.", kind: .gauge)
    w.sample(labels: [("state", "queued")], Double(s.queued))
    w.sample(labels: [("state", "running")], Double(s.running))
    w.family("vitals_jobs_ended", help: "Jobs ended since start, by final state.", kind: .counter)
    for st in JobState.ended { w.sample(labels: [("state", st.rawValue)], Double(s.endedByState[st] ?? 0)) }
    w.family("vitals_job_admissions", help: "Jobs admitted to run since start.", kind: .counter)
    w.sample(Double(s.admitted))
    w.family("vitals_job_admissions_refused", help: "Jobs refused (409) since start.", kind: .counter)
    w.sample(Double(s.refused))
    w.family("vitals_job_queue_length", help: "Jobs waiting in the queue.", kind: .gauge)
    w.sample(Double(s.queued))
    w.family("vitals_jobs_completed_last_hour", help: "Jobs completed in the last hour (throughput per hour).", kind: .gauge)
    w.sample(Double(s.completedLastHour))
    w.family("vitals_job_reserved_bytes", help: "VRAM reserved for admitted jobs and not yet held by their processes.", kind: .gauge, unit: .bytes)
    for (gpu, bytes) in s.reservedBytes.sorted(by: { $0.key < $1.key }) { w.sample(labels: [("gpu", String(gpu))], Double(bytes)) }
    w.family("vitals_job_duration_seconds", help: "Run time of ended jobs that had started.", kind: .histogram, unit: .seconds)
    var cumulative = 0
    for (i, bound) in JobStats.durationBuckets.enumerated() {
        cumulative += s.durationCounts[i]
        w.sample(suffix: "_bucket", labels: [("le", ExpositionWriter.number(bound))], Double(cumulative))
    }
    let total = s.durationCounts.reduce(0, +)
    w.sample(suffix: "_bucket", labels: [("le", "+Inf")], Double(total))
    w.sample(suffix: "_sum", s.durationSum)
    w.sample(suffix: "_count", Double(total))
}
