import VitalsSupport
/// Parses /proc/loadavg: `0.05 0.07 0.03 1/86 3785`.
public enum LoadAverageParser {
    public static func parse(_ text: String) -> LoadAverage? {
        text.withUTF8Buffer { parse($0) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> LoadAverage? {
        var c = ByteCursor(bytes)
        guard var line = c.nextLine(),
              let one = line.double(), let five = line.double(), let fifteen = line.double() else { return nil }
        var running = 0, total = 0
        if let r = line.int(), line.skip(47 /* / */), let t = line.int() { running = r; total = t }
        return LoadAverage(one: one, five: five, fifteen: fifteen, running: running, total: total)
    }
}
