import VitalsSupport
/// What the NVML reader reports. Every field a driver may not support is optional:
/// unknown is `nil` (JSON null), never zero.

public struct GPUProcess: Sendable, Equatable {
    public var pid: Int32
    public var name: String?          // from /proc/PID/comm when readable
    public var usedMemoryBytes: UInt64?  // nil when NVML reports "not available"
    public var kind: String           // "compute", "graphics" or "compute+graphics" (in both lists)
    public init(pid: Int32, name: String?, usedMemoryBytes: UInt64?, kind: String) {
        self.pid = pid; self.name = name; self.usedMemoryBytes = usedMemoryBytes; self.kind = kind
    }
}

public struct GPUDevice: Sendable, Equatable {
    public var index: Int
    public var name: String?
    public var uuid: String?
    public var pciBusId: String?
    public var utilizationGPU: Double?      // percent
    public var utilizationMemory: Double?   // percent
    public var memoryTotal: UInt64?
    public var memoryUsed: UInt64?
    public var memoryFree: UInt64?
    public var memoryReserved: UInt64?      // only with nvmlDeviceGetMemoryInfo_v2
    public var temperatureC: Double?
    public var fanPercent: Double?
    public var powerWatts: Double?
    public var powerLimitWatts: Double?
    public var smClockMHz: Int?
    public var smClockMaxMHz: Int?
    public var memClockMHz: Int?
    public var memClockMaxMHz: Int?
    public var performanceState: Int?       // 0 (P0, fastest) ... 15
    public var processes: [GPUProcess]?     // nil when the list could not be read
    /// Suspended by runtime power management: not sampled (NVML would wake it); the live
    /// figures are unknown and the static ones are from its last reading.
    public var asleep = false

    public init(index: Int) { self.index = index }

    public var memoryPercent: Double? {
        guard let used = memoryUsed, let total = memoryTotal, total > 0 else { return nil }
        return Double(used) / Double(total) * 100
    }
}

/// Either the GPUs that were read, or why none could be.
public enum GPUStatus: Sendable, Equatable {
    case unavailable(reason: String)
    case available(driverVersion: String?, cudaDriverVersion: String?, nvmlVersion: String?, devices: [GPUDevice])

    public var devices: [GPUDevice] {
        if case .available(_, _, _, let d) = self { return d }
        return []
    }
}
