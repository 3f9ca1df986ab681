import VitalsSupport
/// Parses /proc/net/dev: two header lines, then `name: 8 receive counters 8 transmit counters`.
/// Old kernels print no blank after the colon (`eth0:1234`), so the name ends at the colon.
public enum NetDevParser {
    public static func parse(_ text: String) -> [NetCounters] {
        text.withUTF8Buffer { parse($0) }
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> [NetCounters] {
        var cursor = ByteCursor(bytes)
        var result: [NetCounters] = []
        while var line = cursor.nextLine() {
            guard let name = line.field(until: 58 /* : */), !name.isEmpty,
                  let rxBytes = line.uint64(), let rxPackets = line.uint64(),
                  let rxErrors = line.uint64(), let rxDropped = line.uint64(),
                  line.uint64() != nil, line.uint64() != nil, line.uint64() != nil, line.uint64() != nil,
                  let txBytes = line.uint64(), let txPackets = line.uint64(),
                  let txErrors = line.uint64(), let txDropped = line.uint64()
            else { continue }   // the headers, or a line cut short
            result.append(NetCounters(name: line.string(name), rxBytes: rxBytes, rxPackets: rxPackets,
                                      rxErrors: rxErrors, rxDropped: rxDropped, txBytes: txBytes,
                                      txPackets: txPackets, txErrors: txErrors, txDropped: txDropped))
        }
        return result
    }
}
