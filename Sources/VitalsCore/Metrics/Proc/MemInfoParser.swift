import VitalsSupport
/// Parses /proc/meminfo (values in kB) into bytes.
public enum MemInfoParser {
    public static func parse(_ text: String) -> MemoryInfo? {
        text.withUTF8Buffer { parse($0) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> MemoryInfo? {
        var cursor = ByteCursor(bytes)
        var total: UInt64?, free: UInt64?, available: UInt64?, buffers: UInt64?, cached: UInt64?
        var swapTotal: UInt64?, swapFree: UInt64?
        var found = 0
        // The seven keys sit in the first ~16 lines; stop once all are seen.
        while found < 7, var line = cursor.nextLine() {
            guard let key = line.field(until: 58 /* : */), let bytes = value(&line) else { continue }
            if line.equals(key, "MemTotal") { total = bytes }
            else if line.equals(key, "MemFree") { free = bytes }
            else if line.equals(key, "MemAvailable") { available = bytes }
            else if line.equals(key, "Buffers") { buffers = bytes }
            else if line.equals(key, "Cached") { cached = bytes }
            else if line.equals(key, "SwapTotal") { swapTotal = bytes }
            else if line.equals(key, "SwapFree") { swapFree = bytes }
            else { continue }
            found += 1
        }
        guard let total else { return nil }
        let freeBytes = free ?? 0, buffersBytes = buffers ?? 0, cachedBytes = cached ?? 0
        // Kernels before 3.14 have no MemAvailable: free + buffers + cache is the classic estimate.
        let avail = min(total, available ?? (freeBytes &+ buffersBytes &+ cachedBytes))
        let used = total - avail
        let sTotal = swapTotal ?? 0
        let sFree = min(swapFree ?? 0, sTotal)
        let sUsed = sTotal - sFree
        return MemoryInfo(total: total, available: avail, used: used, free: freeBytes,
                          cached: cachedBytes, buffers: buffersBytes,
                          swapTotal: sTotal, swapFree: sFree, swapUsed: sUsed,
                          percent: total > 0 ? Double(used) / Double(total) * 100 : 0,
                          swapPercent: sTotal > 0 ? Double(sUsed) / Double(sTotal) * 100 : nil)
    }

    /// `  24683656 kB` → bytes; a value without a unit is taken as it stands.
    private static func value(_ line: inout ByteCursor) -> UInt64? {
        guard let number = line.uint64() else { return nil }
        guard let unit = line.token(), line.equals(unit, "kB") else { return number }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: 1024)
        return overflow ? nil : bytes
    }
}
