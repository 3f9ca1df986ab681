import Glibc
import VitalsSupport

/// One NVIDIA GPU as the PCI bus sees it, read from sysfs without asking NVML: on hybrid
/// laptops the card suspends when idle (runtime PM, D3cold), and every NVML call wakes it
/// and drains the battery. A GPU is asleep when runtime PM says `suspended` or the device
/// is in a D3 state.
public struct PCIGPUPower: Sendable, Equatable {
    /// `0000:01:00.0`, lower case, as sysfs names the device.
    public var address: String
    public var powerState: String?
    public var runtimeStatus: String?

    public var asleep: Bool {
        runtimeStatus == "suspended" || (powerState?.hasPrefix("D3") ?? false)
    }

    /// NVML writes bus ids as `00000000:01:00.0` or `0000:01:00.0`, upper case: the form
    /// sysfs uses, for matching the two.
    public static func normalize(busId: String) -> String {
        let parts = busId.lowercased().split(separator: ":")
        guard parts.count == 3 else { return busId.lowercased() }
        return String(parts[0].suffix(4)) + ":" + parts[1] + ":" + parts[2]
    }
}

/// Lists NVIDIA display devices (vendor 0x10de, class 0x03xxxx) under
/// `<sysRoot>/bus/pci/devices` and reads their power state. The device list is re-read
/// every `rescanMs` (GPUs come and go rarely); the two power files every call.
public final class PCIPowerReader {
    private let devicesDir: String
    private let rescanMs: Int64
    private var addresses: [String] = []
    private var scannedAtMs: Int64?

    public init(sysRoot: String = "/sys", rescanMs: Int64 = 60_000) {
        devicesDir = sysRoot + "/bus/pci/devices"
        self.rescanMs = rescanMs
    }

    public func read(monotonicMs now: Int64) -> [PCIGPUPower] {
        if scannedAtMs.map({ now - $0 >= rescanMs || now < $0 }) ?? true {
            addresses = scan()
            scannedAtMs = now
        }
        return addresses.map { a in
            PCIGPUPower(address: a, powerState: SmallFile.line("\(devicesDir)/\(a)/power_state"),
                        runtimeStatus: SmallFile.line("\(devicesDir)/\(a)/power/runtime_status"))
        }
    }

    private func scan() -> [String] {
        guard let dir = opendir(devicesDir) else { return [] }
        defer { closedir(dir) }
        var found: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix(".") else { continue }
            let vendor = SmallFile.line("\(devicesDir)/\(name)/vendor")?.lowercased()
            let cls = SmallFile.line("\(devicesDir)/\(name)/class")?.lowercased()
            if vendor == "0x10de", cls?.hasPrefix("0x03") == true { found.append(name.lowercased()) }
        }
        return found.sorted()
    }
}
