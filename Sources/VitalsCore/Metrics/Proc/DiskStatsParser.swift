import VitalsSupport
/// Parses /proc/diskstats. Lines carry 14 fields (before 4.18), 18 (discard counters) or
/// 20 (flush counters); only the first 14 are needed. Sectors there are always 512 bytes.
public enum DiskStatsParser {
    public static func parse(_ text: String) -> [DiskCounters] {
        text.withUTF8Buffer { parse($0) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [DiskCounters] {
        var cursor = ByteCursor(bytes)
        var result: [DiskCounters] = []
        while var line = cursor.nextLine() {
            guard line.uint64() != nil, line.uint64() != nil, let name = line.token(),
                  let reads = line.uint64(), line.uint64() != nil, let sectorsRead = line.uint64(),
                  line.uint64() != nil, let writes = line.uint64(), line.uint64() != nil,
                  let sectorsWritten = line.uint64(), line.uint64() != nil, line.uint64() != nil,
                  let ioTicks = line.uint64(), line.uint64() != nil
            else { continue }   // short lines (old kernels' partition format) or garbage
            result.append(DiskCounters(name: line.string(name), reads: reads, sectorsRead: sectorsRead,
                                       writes: writes, sectorsWritten: sectorsWritten, ioTimeMs: ioTicks))
        }
        return result
    }
}
