import VitalsSupport
import VitalsTransport
import VitalsCore
/// `GET /api/v1/system/processes?sort=cpu|memory|gpu_memory&limit=N`: the top processes.
/// Scanning /proc/[pid] is the costly part, so it runs only here, on a worker thread,
/// never on the sampler tick.
extension VitalsApp {
    func addProcessRoutes(_ r: inout Router) {
        r.add("GET", "/api/v1/system/processes", .worker { [self] req in
            let q = req.query
            let sortName = q["sort"] ?? "cpu"
            guard let sort = ProcessSort(rawValue: sortName) else {
                return .error(400, "invalid_parameter", "sort=\(sortName) must be one of cpu, memory, gpu_memory")
            }
            let limit: Int
            do throws(InvalidParameter) { limit = try intParameter(q, "limit", in: 1...500, default: 20) } catch { return error.response }
            let gpu = sampler.latest.value?.snapshot.gpu
            let gpuProcesses = gpu?.devices.flatMap { $0.processes ?? [] } ?? []
            let rows = processTable.top(sort: sort, limit: limit, gpuProcesses: gpuProcesses)
            var w = JSONWriter(capacity: 256 + rows.count * 200)
            w.beginObject()
            w.field("timestamp", TimeFormat.iso8601(ms: time.wallMs()))
            w.field("sort", sort.rawValue)
            w.field("limit", limit)
            // Say whether GPU memory could be known at all, so null reads as "unknown", not "none".
            w.field("gpu_memory_available", { if case .available? = gpu { return true }; return false }())
            w.key("processes"); w.beginArray()
            for p in rows {
                w.beginObject()
                w.field("pid", p.pid)
                w.field("name", p.name)
                w.field("user", p.user)
                w.field("cpu_percent", p.cpuPercent, decimals: 1)
                w.field("rss_bytes", p.rssBytes)
                w.field("gpu_memory_bytes", p.gpuMemoryBytes)
                w.field("container_id", p.containerId)
                w.field("command", p.command)
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return .json(w.bytes)
        })
    }
}
