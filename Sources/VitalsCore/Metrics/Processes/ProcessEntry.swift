import VitalsSupport
/// Order of `GET /api/v1/system/processes?sort=...`.
public enum ProcessSort: String, Sendable, CaseIterable {
    case cpu
    case memory
    case gpuMemory = "gpu_memory"
}

/// One row of the process table. (Not named `ProcessInfo`: that would shadow
/// Foundation's `ProcessInfo` for every file of the module.)
public struct ProcessEntry: Sendable, Equatable {
    public var pid: Int32
    public var name: String              // comm, at most 15 bytes as the kernel keeps it
    public var user: String              // effective user's name, or the uid when /etc/passwd lacks it
    public var cpuPercent: Double        // of one core, like top: 200 = two cores busy
    public var rssBytes: UInt64
    public var gpuMemoryBytes: UInt64?   // nil when on no GPU or NVML could not say
    public var containerId: String?      // 64-hex docker/containerd/cri-o/podman id
    public var command: String?          // cmdline, NULs as spaces, truncated; nil for kernel threads
    public var unit: String? = nil       // systemd unit (comfyui.service, docker-<id>.scope) from the cgroup

    public init(pid: Int32, name: String, user: String, cpuPercent: Double, rssBytes: UInt64,
                gpuMemoryBytes: UInt64?, containerId: String?, command: String?) {
        self.pid = pid; self.name = name; self.user = user; self.cpuPercent = cpuPercent
        self.rssBytes = rssBytes; self.gpuMemoryBytes = gpuMemoryBytes
        self.containerId = containerId; self.command = command
    }
}
