import VitalsSupport
/// Parses /proc/uptime: seconds since boot, then idle seconds summed over CPUs.
public enum UptimeParser {
    public static func parse(_ text: String) -> Double? {
        text.withUTF8Buffer { parse($0) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var c = ByteCursor(bytes)
        guard var line = c.nextLine(), let seconds = line.double(), seconds >= 0 else { return nil }
        return seconds
    }
}
