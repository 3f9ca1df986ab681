import Synchronization

/// Tells the activity feed when the GPUs go away (driver lost, NVML unloadable) and when
/// they come back; the sampler itself keeps retrying.
public final class GPUActivityListener: SnapshotListener {
    private let activity: ActivityLog
    /// Whether the GPUs were readable at the previous tick; nil before the first.
    private let wasAvailable = Mutex<Bool?>(nil)

    public init(activity: ActivityLog) { self.activity = activity }

    public func snapshotTaken(_ snapshot: Snapshot, json: [UInt8]) {
        let now: Bool
        var reason = ""
        switch snapshot.gpu {
        case .available: now = true
        case .unavailable(let r): now = false; reason = r
        }
        let before = wasAvailable.withLock { v in defer { v = now }; return v }
        guard let before, before != now else { return }
        if now {
            activity.record(kind: "gpu_back", message: "GPUs readable again (\(snapshot.gpu.devices.count))")
        } else {
            activity.record(kind: "gpu_lost", message: "GPUs unreadable: \(reason)", labels: ["reason": reason])
        }
    }
}
