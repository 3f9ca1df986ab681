import VitalsSupport
import VitalsTransport
import VitalsCore

/// `GET /api/v1/system/processes?sort=cpu|memory|gpu_memory&limit=N`: the top processes.
/// Scanning /proc/[pid] is the costly part, so it runs only here, on a worker thread,
/// never on the sampler tick.
struct ProcessRoutes: RouteProvider {
    let processTable: ProcessTable
    let sampler: Sampler
    let time: any TimeSource

    static let spec = RouteSpec.get("/api/v1/system/processes", tag: "system", "The top processes by CPU, memory or GPU memory")
        .query("sort", Schema.oneOf(ProcessSort.allCases.map(\.rawValue)).defaulting(.string("cpu")).described("what to rank by"))
        .query("limit", Schema.integer(1...500).defaulting(.number(20)).described("how many processes (or groups)"))
        .query("group", Schema.oneOf(ProcessGrouping.allCases.map(\.rawValue))
            .described("sum CPU, RAM and GPU memory per systemd unit or container instead (from /proc/PID/cgroup)"))
        .responds(200, "the processes, highest first; with group, the groups by GPU memory then RAM",
                  json: .anyOf([ResponseSchemas.processes, ResponseSchemas.processGroups]))

    func register(in routes: inout RouteTable) {
        let processTable = self.processTable, sampler = self.sampler, time = self.time
        routes.add(Self.spec, .worker { input in
            // The schema admitted only known names and filled the defaults.
            let sort = ProcessSort(rawValue: input.string("sort") ?? "cpu") ?? .cpu
            let limit = input.int("limit") ?? 20
            let gpu = sampler.latest.value?.snapshot.gpu
            let gpuProcesses = gpu?.devices.flatMap { $0.processes ?? [] } ?? []
            if let g = input.string("group").flatMap(ProcessGrouping.init(rawValue:)) {
                let groups = ProcessGroup.group(processTable.top(sort: .memory, limit: 1_000_000, gpuProcesses: gpuProcesses), by: g)
                return .json { w in
                    w.beginObject()
                    w.field("timestamp", TimeFormat.iso8601(ms: time.wallMs()))
                    w.field("group", g.rawValue)
                    w.field("limit", limit)
                    w.field("gpu_memory_available", { if case .available? = gpu { return true }; return false }())
                    w.key("groups"); w.beginArray()
                    for x in groups.prefix(limit) {
                        w.beginObject()
                        w.field("name", x.name); w.field("processes", x.processes); w.field("cpu_percent", x.cpuPercent, decimals: 1)
                        w.field("rss_bytes", x.rssBytes); w.field("gpu_memory_bytes", x.gpuMemoryBytes)
                        w.key("pids"); w.beginArray(); for p in x.pids { w.int(p) }; w.endArray()
                        w.endObject()
                    }
                    w.endArray()
                    w.endObject()
                }
            }
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
