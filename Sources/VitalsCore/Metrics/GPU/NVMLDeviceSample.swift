import VitalsSupport
import CNVML

extension cnvml_device_sample {
    /// The first per-field code that means NVML itself must be restarted.
    var firstLifecycleError: Int32? {
        let codes = [handle_rc, name_rc, uuid_rc, pci_rc, util_rc, mem_rc, mem_reserved_rc, temperature_rc,
                     fan_rc, power_rc, power_limit_rc, sm_clock_rc, sm_clock_max_rc, mem_clock_rc,
                     mem_clock_max_rc, pstate_rc]
        return codes.first(where: NVMLCode.isLifecycle)
    }
}

extension GPUDevice {
    /// One GPU's figures; a field whose call failed (NOT_SUPPORTED, missing symbol…) stays nil.
    init(sample s: cnvml_device_sample, index: Int) {
        self.init(index: index)
        guard s.handle_rc == NVMLCode.success else { return }
        func ok(_ rc: Int32) -> Bool { rc == NVMLCode.success }
        if ok(s.name_rc) { name = cString(s.name) }
        if ok(s.uuid_rc) { uuid = cString(s.uuid) }
        if ok(s.pci_rc) { pciBusId = cString(s.pci_bus_id) }
        if ok(s.util_rc) {
            utilizationGPU = Double(s.util_gpu)
            utilizationMemory = Double(s.util_memory)
        }
        if ok(s.mem_rc) {
            memoryTotal = s.mem_total
            memoryUsed = s.mem_used
            memoryFree = s.mem_free
            if ok(s.mem_reserved_rc) { memoryReserved = s.mem_reserved }
        }
        if ok(s.temperature_rc) { temperatureC = Double(s.temperature_c) }
        if ok(s.fan_rc) { fanPercent = Double(s.fan_percent) }
        if ok(s.power_rc) { powerWatts = Double(s.power_mw) / 1000 }
        if ok(s.power_limit_rc) { powerLimitWatts = Double(s.power_limit_mw) / 1000 }
        if ok(s.sm_clock_rc) { smClockMHz = Int(s.sm_clock_mhz) }
        if ok(s.sm_clock_max_rc) { smClockMaxMHz = Int(s.sm_clock_max_mhz) }
        if ok(s.mem_clock_rc) { memClockMHz = Int(s.mem_clock_mhz) }
        if ok(s.mem_clock_max_rc) { memClockMaxMHz = Int(s.mem_clock_max_mhz) }
        if ok(s.pstate_rc) { performanceState = Int(s.pstate) }
    }
}
