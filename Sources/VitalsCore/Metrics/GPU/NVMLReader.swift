import VitalsSupport
import CNVML

/// Reads every NVIDIA GPU through NVML, or says why it cannot.
///
/// No library, no driver or a lost GPU is a normal state: `sample` then answers
/// `.unavailable(reason:)` at once and tries again only after a backoff (5 s doubling
/// to 5 min), so a machine without NVIDIA hardware pays nothing per tick.
/// Used from the sampler thread only.
public final class NVMLReader {
    static let firstBackoffMs: Int64 = 5_000
    static let maxBackoffMs: Int64 = 300_000

    private let libraryPath: String?
    private let time: any TimeSource
    private let procRoot: String

    private var library: NVMLLibrary?
    private var initialized = false
    private var system = SystemVersions()
    private var lastReason = "NVML not loaded yet"
    private var nextAttemptMs: Int64?
    private var backoffMs = NVMLReader.firstBackoffMs
    /// Load-or-init attempts so far (tests check the backoff with it).
    private(set) var openAttempts = 0
    /// Last process list per GPU index, served on ticks that skip the costly query.
    private var lastProcesses: [Int: [GPUProcess]] = [:]
    /// Last reading of each GPU by index: a sleeping GPU is shown with these facts.
    private var lastDevices: [Int: GPUDevice] = [:]

    /// - Parameters:
    ///   - libraryPath: nil loads `libnvidia-ml.so.1` from the linker's search path.
    ///   - time: its monotonic clock paces the retries after a lifecycle error.
    ///   - procRoot: where process names are read (`PID/comm`).
    public init(libraryPath: String?, time: any TimeSource, procRoot: String = "/proc") {
        self.libraryPath = libraryPath
        self.time = time
        self.procRoot = procRoot
    }

    deinit { shutdown() }

    /// Samples every GPU; process lists only when `includeProcesses` (they are the costly
    /// call). Otherwise each GPU carries the list read last time, if any. `power` is the
    /// PCI power state from sysfs (empty when unknown): a GPU known to be asleep is not
    /// asked anything, and when every NVIDIA GPU sleeps NVML is not called at all.
    public func sample(includeProcesses: Bool, power: [PCIGPUPower] = []) -> GPUStatus {
        let asleep = Set(power.filter(\.asleep).map(\.address))
        if !power.isEmpty && asleep.count == power.count { return sleepingStatus(power) }
        guard let library = ready() else { return .unavailable(reason: lastReason) }
        do throws(NVMLFailure) {
            let devices = try readDevices(library, includeProcesses: includeProcesses, asleep: asleep)
            return .available(driverVersion: system.driver, cudaDriverVersion: system.cuda,
                              nvmlVersion: system.nvml, devices: devices)
        } catch {
            // The driver is gone or the GPU fell off the bus: start over later.
            endSession()
            fail(error.reason)
            return .unavailable(reason: lastReason)
        }
    }

    /// Shuts NVML down and unloads the library; a later `sample` loads it again.
    public func shutdown() {
        endSession()
        library = nil
    }

    /// Every GPU asleep: the last facts of each (or what sysfs knows, before the first
    /// reading), without a single NVML call.
    private func sleepingStatus(_ power: [PCIGPUPower]) -> GPUStatus {
        var devices: [GPUDevice] = []
        for (position, p) in power.enumerated() {
            let known = lastDevices.values.first { $0.pciBusId.map(PCIGPUPower.normalize) == p.address }
            var d = known.map(Self.asleep) ?? GPUDevice(index: position)
            if known == nil { d.pciBusId = p.address; d.asleep = true }
            devices.append(d)
        }
        devices.sort { $0.index < $1.index }
        return .available(driverVersion: system.driver, cudaDriverVersion: system.cuda, nvmlVersion: system.nvml, devices: devices)
    }

    /// A GPU's static facts (name, uuid, bus, memory total, limits), its live figures unknown.
    static func asleep(_ d: GPUDevice) -> GPUDevice {
        var s = GPUDevice(index: d.index)
        s.name = d.name; s.uuid = d.uuid; s.pciBusId = d.pciBusId
        s.memoryTotal = d.memoryTotal; s.powerLimitWatts = d.powerLimitWatts
        s.smClockMaxMHz = d.smClockMaxMHz; s.memClockMaxMHz = d.memClockMaxMHz
        s.asleep = true
        return s
    }

    /// nvmlShutdown, keeping the library loaded for the next nvmlInit.
    private func endSession() {
        if let library, initialized { _ = cnvml_shutdown(library.handle) }
        initialized = false
        lastProcesses = [:]
    }

    /// Which symbol was bound for one of the loader's functions (tests, diagnostics).
    func boundSymbol(_ function: String) -> String? { library?.boundSymbol(function) }

    // MARK: lifecycle

    /// The initialised library, loading and initialising it when the backoff allows.
    private func ready() -> NVMLLibrary? {
        if initialized, let library { return library }
        if let next = nextAttemptMs, time.monotonicMs() < next { return nil }
        openAttempts += 1
        do throws(NVMLFailure) {
            let lib: NVMLLibrary
            if let library { lib = library } else { lib = try NVMLLibrary(path: libraryPath); library = lib }
            let rc = cnvml_init(lib.handle)
            guard rc == NVMLCode.success else {
                throw NVMLFailure(reason: "nvmlInit failed: \(lib.errorString(rc))")
            }
            initialized = true
            backoffMs = Self.firstBackoffMs
            nextAttemptMs = nil
            system = SystemVersions(lib)
            return lib
        } catch {
            fail(error.reason)
            return nil
        }
    }

    private func fail(_ reason: String) {
        lastReason = reason
        nextAttemptMs = time.monotonicMs() + backoffMs
        backoffMs = min(backoffMs * 2, Self.maxBackoffMs)
    }

    // MARK: reading

    private func readDevices(_ lib: NVMLLibrary, includeProcesses: Bool, asleep: Set<String>) throws(NVMLFailure) -> [GPUDevice] {
        var count: UInt32 = 0
        let rc = cnvml_device_count(lib.handle, &count)
        guard rc == NVMLCode.success else {
            throw NVMLFailure(reason: "nvmlDeviceGetCount failed: \(lib.errorString(rc))")
        }
        // NVML supports at most 64 GPUs; a larger count is a broken driver, not a machine.
        count = min(count, 64)
        var devices: [GPUDevice] = []
        devices.reserveCapacity(Int(count))
        for index in 0..<count {
            // Known to sleep (its bus id from an earlier reading): not woken for a sample.
            if let known = lastDevices[Int(index)], let bus = known.pciBusId,
               asleep.contains(PCIGPUPower.normalize(busId: bus)) {
                devices.append(Self.asleep(known))
                continue
            }
            var raw = cnvml_device_sample()
            _ = cnvml_device_sample(lib.handle, index, &raw)
            if let bad = raw.firstLifecycleError {
                throw NVMLFailure(reason: "GPU \(index): \(lib.errorString(bad))")
            }
            var device = GPUDevice(sample: raw, index: Int(index))
            if raw.handle_rc == NVMLCode.success {
                if includeProcesses {
                    let list = try readProcesses(lib, index: index)
                    lastProcesses[Int(index)] = list
                    device.processes = list
                } else {
                    device.processes = lastProcesses[Int(index)]
                }
            }
            lastDevices[Int(index)] = device
            devices.append(device)
        }
        return devices
    }

    /// Compute and graphics processes of one GPU, a pid in both lists once.
    /// nil when neither list could be read (e.g. NOT_SUPPORTED on this board).
    private func readProcesses(_ lib: NVMLLibrary, index: UInt32) throws(NVMLFailure) -> [GPUProcess]? {
        var merged: [GPUProcess] = []
        var anyRead = false
        for (kind, label) in [(Int32(CNVML_PROCESSES_COMPUTE), "compute"), (Int32(CNVML_PROCESSES_GRAPHICS), "graphics")] {
            var ptr: UnsafePointer<cnvml_process>?
            var n: UInt32 = 0
            let rc = cnvml_processes(lib.handle, index, kind, &ptr, &n)
            if NVMLCode.isLifecycle(rc) { throw NVMLFailure(reason: "GPU \(index): \(lib.errorString(rc))") }
            guard rc == NVMLCode.success else { continue }
            anyRead = true
            guard let ptr else { continue }
            for p in UnsafeBufferPointer(start: ptr, count: Int(n)) {
                let pid = Int32(bitPattern: p.pid)
                let used: UInt64? = p.used_memory_known != 0 ? p.used_memory : nil
                if let i = merged.firstIndex(where: { $0.pid == pid }) {
                    merged[i].kind = "compute+graphics"
                    if merged[i].usedMemoryBytes == nil { merged[i].usedMemoryBytes = used }
                } else {
                    merged.append(GPUProcess(pid: pid, name: nil, usedMemoryBytes: used, kind: label))
                }
            }
        }
        guard anyRead else { return nil }
        for i in merged.indices {
            merged[i].name = SmallFile.line("\(procRoot)/\(merged[i].pid)/comm")
        }
        return merged
    }
}

/// Driver, CUDA and NVML versions: read once after each successful nvmlInit.
private struct SystemVersions {
    var driver: String?, cuda: String?, nvml: String?

    init() {}

    init(_ lib: NVMLLibrary) {
        var info = cnvml_system_info()
        cnvml_system_info(lib.handle, &info)
        if info.driver_version_rc == NVMLCode.success { driver = cString(info.driver_version) }
        if info.nvml_version_rc == NVMLCode.success { nvml = cString(info.nvml_version) }
        if info.cuda_driver_version_rc == NVMLCode.success {
            cuda = NVMLReader.cudaVersion(info.cuda_driver_version)
        }
    }
}

extension NVMLReader {
    /// NVML encodes CUDA 12.4 as 12040 (major * 1000 + minor * 10).
    static func cudaVersion(_ v: Int32) -> String? {
        guard v > 0 else { return nil }
        return "\(v / 1000).\((v % 1000) / 10)"
    }
}
