import VitalsSupport

/// The systemd unit a process runs under, from its /proc/PID/cgroup: the last component
/// of the unified (or name=systemd) hierarchy's path that names a unit (`.service`,
/// `.scope`), e.g. `0::/system.slice/comfyui.service` → `comfyui.service`; a process of a
/// user session is under its `user@UID.service` or app scope.
public enum SystemdUnit {
    public static func parse(cgroup text: String) -> String? {
        var path: Substring?
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { path = parts[2]; break }
            if parts[1] == "name=systemd" { path = parts[2] }
        }
        guard let path else { return nil }
        return path.split(separator: "/").last { $0.hasSuffix(".service") || $0.hasSuffix(".scope") }.map(String.init)
    }
}

/// How `GET /api/v1/system/processes?group=` sums processes.
public enum ProcessGrouping: String, Sendable, CaseIterable { case unit, container }

/// CPU, RAM and GPU memory summed over the processes of one unit or container.
public struct ProcessGroup: Sendable, Equatable {
    public var name: String
    public var processes: Int
    public var cpuPercent: Double
    public var rssBytes: UInt64
    /// nil when no process of the group had a GPU memory figure.
    public var gpuMemoryBytes: UInt64?
    public var pids: [Int32]

    /// Groups `entries`; processes in no unit or container go under "-". Ordered by GPU
    /// memory, then RAM, then name: "which service holds my VRAM" is the first row.
    public static func group(_ entries: [ProcessEntry], by g: ProcessGrouping) -> [ProcessGroup] {
        var byName: [String: ProcessGroup] = [:]
        for e in entries {
            let name = (g == .unit ? e.unit : e.containerId) ?? "-"
            var x = byName[name] ?? ProcessGroup(name: name, processes: 0, cpuPercent: 0, rssBytes: 0, gpuMemoryBytes: nil, pids: [])
            x.processes += 1
            x.cpuPercent += e.cpuPercent
            x.rssBytes &+= e.rssBytes
            if let gm = e.gpuMemoryBytes { x.gpuMemoryBytes = (x.gpuMemoryBytes ?? 0) &+ gm }
            if x.pids.count < 20 { x.pids.append(e.pid) }
            byName[name] = x
        }
        return byName.values.sorted { a, b in
            if (a.gpuMemoryBytes ?? 0) != (b.gpuMemoryBytes ?? 0) { return (a.gpuMemoryBytes ?? 0) > (b.gpuMemoryBytes ?? 0) }
            if a.rssBytes != b.rssBytes { return a.rssBytes > b.rssBytes }
            return a.name < b.name
        }
    }
}
