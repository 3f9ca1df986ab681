/// Whether one job may start now: the resource check on NVML's free memory less the
/// outstanding part of every admitted job's reservation, plus the job limit. Pure, so the
/// scheduler calls it under its lock and tests call it with literal figures.
public enum JobAdmission {
    public struct Decision: Sendable {
        public var check: ResourceCheckResult
        public var gpu: Int?
        public var gpuUUID: String?
        /// False when the job could never start here (larger than any GPU, an unknown GPU):
        /// refused even when the caller asked to queue.
        public var couldEverFit: Bool
        public var allowed: Bool { check.allowed }
    }

    public static func decide(_ req: JobRequest, snapshot: Snapshot?, outstanding: [Int: UInt64], running: Int,
                              constraints: ResourceConstraints, settings: OptimizationSettings) -> Decision {
        var c = AdvisorContext(snapshot: snapshot, constraints: constraints, workload: req.workload, settings: req.settings)
        c.settings.maxVRAMBytes = settings.maxVRAMBytes
        // CPU is no reason to hold a job back: one busy tick is normal under generation.
        c.cpuPercent = nil
        c.gpus = c.gpus.map { g in
            var g = g
            let o = outstanding[g.index] ?? 0
            g.freeBytes = g.freeBytes > o ? g.freeBytes - o : 0
            g.usedBytes += o
            return g
        }
        let all = c.gpus
        switch req.gpu {
        case .any: break
        case .index(let i): c.gpus = c.gpus.filter { $0.index == i }
        case .uuid(let u): c.gpus = c.gpus.filter { g in c.devices.contains { $0.index == g.index && $0.uuid == u } }
        }
        var r = ResourceCheck.run(c, vramBytes: req.estimated ? nil : req.vramBytes)
        var ever = !c.gpus.isEmpty
        if req.vramBytes == 0 {
            // A job that needs no GPU memory needs no GPU either.
            r.blocking.removeAll { $0.resource == "vram" }
            ever = true
        } else if let largest = c.gpus.map(\.totalBytes).max() {
            if req.vramBytes > largest || req.vramBytes > (settings.maxVRAMBytes ?? .max) { ever = false }
        }
        if !all.isEmpty && c.gpus.isEmpty && req.vramBytes > 0 {
            r.blocking.append(ResourceIssue(resource: "vram", figure: 0, limit: 0, unit: "bytes",
                                            message: "no GPU \(req.gpu.text) on this machine; GPUs: " + all.map { String($0.index) }.joined(separator: ", ")))
        }
        if running >= constraints.maxConcurrentJobs {
            r.blocking.append(ResourceIssue(resource: "jobs", figure: Double(running), limit: Double(constraints.maxConcurrentJobs), unit: "jobs",
                                            message: "\(running) jobs running, the limit is \(constraints.maxConcurrentJobs) (max_concurrent_jobs)"))
        }
        r.allowed = r.blocking.isEmpty
        let gpu = req.vramBytes == 0 && r.gpu == nil ? nil : r.gpu
        return Decision(check: r, gpu: gpu, gpuUUID: gpu.flatMap { i in c.devices.first { $0.index == i }?.uuid }, couldEverFit: ever)
    }
}
