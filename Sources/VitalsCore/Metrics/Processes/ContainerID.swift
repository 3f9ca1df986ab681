import VitalsSupport
/// The container a process runs in, from its /proc/PID/cgroup.
///
/// Runtimes name the cgroup after the 64-hex container id, with or without a prefix:
///   0::/system.slice/docker-<id>.scope               docker, systemd driver
///   12:memory:/docker/<id>                           docker, cgroupfs driver (v1)
///   0::/kubepods.slice/.../cri-containerd-<id>.scope containerd under kubernetes
///   0::/kubepods/burstable/pod.../<id>               containerd/cri-o, cgroupfs driver
///   0::/machine.slice/libpod-<id>.scope/container    podman
///   0::/.../crio-<id>.scope                          cri-o
enum ContainerID {
    private static let prefixes = ["docker-", "cri-containerd-", "crio-", "libpod-", "containerd-"]
    private static let runtimeMarkers = ["docker", "containerd", "crio", "libpod", "kubepods", "podman"]

    static func parse(cgroup text: String) -> String? {
        for line in text.split(separator: "\n") {
            // hierarchy-ID:controllers:path; the path may itself hold ':'.
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = parts[2]
            let bytes = Array(path.utf8)
            guard runtimeMarkers.contains(where: { contains(bytes, Array($0.utf8)) }) else { continue }
            // The innermost component that is an id wins (nested containers).
            if let found = path.split(separator: "/").reversed().lazy.compactMap(id(in:)).first {
                return found
            }
        }
        return nil
    }

    private static func id(in component: Substring) -> String? {
        var s = component
        if s.hasSuffix(".scope") { s = s.dropLast(6) }
        for p in prefixes where s.hasPrefix(p) {
            s = s.dropFirst(p.count)
            break
        }
        guard s.utf8.count == 64, s.utf8.allSatisfy(isLowerHex) else { return nil }
        return String(s)
    }

    /// Byte search: `Substring.contains(String)` goes through string processing and cost
    /// ~100 µs per cgroup file, more than reading it.
    private static func contains(_ h: [UInt8], _ n: [UInt8]) -> Bool {
        guard !n.isEmpty, h.count >= n.count else { return false }
        for start in 0...(h.count - n.count) where h[start] == n[0] {
            if h[start..<(start + n.count)].elementsEqual(n) { return true }
        }
        return false
    }

    private static func isLowerHex(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f"))
    }
}
