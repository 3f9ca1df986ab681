/// One line of /proc/self/mounts, escapes decoded.
public struct MountEntry: Sendable, Equatable {
    public var device: String, mountPoint: String, fsType: String
    public init(device: String, mountPoint: String, fsType: String) {
        self.device = device; self.mountPoint = mountPoint; self.fsType = fsType
    }
}

/// Parses the mount table and picks the filesystems worth showing, the way df does by default.
public enum MountsParser {
    public static func parse(_ text: String) -> [MountEntry] {
        var entries: [MountEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3 else { continue }
            entries.append(MountEntry(device: decodeOctalEscapes(fields[0]),
                                      mountPoint: decodeOctalEscapes(fields[1]),
                                      fsType: String(fields[2])))
        }
        return entries
    }

    /// Filesystem types in /proc/filesystems not marked `nodev`: ones backed by a block device.
    public static func blockBackedTypes(_ filesystemsText: String) -> Set<String> {
        var types = Set<String>()
        for line in filesystemsText.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 1 { types.insert(String(fields[0])) }
        }
        return types
    }

    /// Keeps real filesystems; a device mounted more than once (bind mounts, a container's
    /// /etc/hosts) is shown once, at its shortest mount point. Order follows the mount table.
    public static func realFilesystems(_ entries: [MountEntry], blockBackedTypes: Set<String>) -> [MountEntry] {
        var chosen: [MountEntry] = []
        var indexByDevice: [String: Int] = [:]
        for entry in entries where blockBackedTypes.contains(entry.fsType) {
            if let i = indexByDevice[entry.device] {
                let current = chosen[i].mountPoint
                if entry.mountPoint.utf8.count < current.utf8.count { chosen[i] = entry }
            } else {
                indexByDevice[entry.device] = chosen.count
                chosen.append(entry)
            }
        }
        return chosen
    }

    /// The kernel writes space, tab, newline and backslash in paths as `\040`, `\011`, `\012`, `\134`.
    public static func decodeOctalEscapes(_ field: Substring) -> String {
        let utf8 = Array(field.utf8)
        guard utf8.contains(92) else { return String(field) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            if utf8[i] == 92, i + 3 < utf8.count, let value = octal(utf8[i + 1], utf8[i + 2], utf8[i + 3]) {
                out.append(value)
                i += 4
                continue
            }
            out.append(utf8[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8? {
        let digits = [a, b, c].map { $0 &- 48 }
        guard digits.allSatisfy({ $0 <= 7 }) else { return nil }
        let value = Int(digits[0]) * 64 + Int(digits[1]) * 8 + Int(digits[2])
        return value <= 255 ? UInt8(value) : nil
    }
}
