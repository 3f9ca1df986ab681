import VitalsSupport
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
        text.withUTF8Buffer { parse($0) }
    }

    /// Works on bytes: a host running containers can have hundreds of mounts.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [MountEntry] {
        var cursor = ByteCursor(bytes)
        var entries: [MountEntry] = []
        while var line = cursor.nextLine() {
            guard let device = line.token(), let mountPoint = line.token(), let fsType = line.token() else { continue }
            entries.append(MountEntry(device: decodeOctalEscapes(line, device),
                                      mountPoint: decodeOctalEscapes(line, mountPoint),
                                      fsType: line.string(fsType)))
        }
        return entries
    }

    public static func blockBackedTypes(_ filesystemsText: String) -> Set<String> {
        filesystemsText.withUTF8Buffer { blockBackedTypes($0) }
    }

    /// Filesystem types in /proc/filesystems not marked `nodev`: ones backed by a block device.
    static func blockBackedTypes(_ bytes: UnsafeBufferPointer<UInt8>) -> Set<String> {
        var cursor = ByteCursor(bytes)
        var types = Set<String>()
        while var line = cursor.nextLine() {
            guard let first = line.token() else { continue }
            if line.token() == nil { types.insert(line.string(first)) }
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
    public static func decodeOctalEscapes(_ field: String) -> String {
        field.withUTF8Buffer { bytes in decodeOctalEscapes(ByteCursor(bytes), 0..<bytes.count) }
    }

    static func decodeOctalEscapes(_ line: ByteCursor, _ range: Range<Int>) -> String {
        let bytes = UnsafeBufferPointer(rebasing: line.bytes[range])
        guard bytes.contains(92) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 92, i + 3 < bytes.count, let value = octal(bytes[i + 1], bytes[i + 2], bytes[i + 3]) {
                out.append(value)
                i += 4
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8? {
        let (x, y, z) = (a &- 48, b &- 48, c &- 48)
        guard x <= 7, y <= 7, z <= 7 else { return nil }
        let value = Int(x) * 64 + Int(y) * 8 + Int(z)
        return value <= 255 ? UInt8(value) : nil
    }
}
