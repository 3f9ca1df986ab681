import VitalsSupport
/// Pure parsers behind `HostSampler.hostInfo()`.
public enum HostInfoParser {
    /// `model name` (x86), else `Hardware` / `Model` (ARM boards), else `cpu model` (MIPS).
    public static func cpuModel(_ cpuinfo: String) -> String? {
        var found: [String: String] = [:]
        for line in cpuinfo.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = trim(line[..<colon])
            guard key == "model name" || key == "Hardware" || key == "Model" || key == "cpu model",
                  found[key] == nil else { continue }
            let value = trim(line[line.index(after: colon)...])
            if !value.isEmpty { found[key] = value }
            if key == "model name" { break }
        }
        return found["model name"] ?? found["Hardware"] ?? found["Model"] ?? found["cpu model"]
    }

    /// Number of `processor : N` entries.
    public static func processorCount(_ cpuinfo: String) -> Int {
        cpuinfo.split(separator: "\n").reduce(0) { count, line in
            guard let colon = line.firstIndex(of: ":") else { return count }
            return trim(line[..<colon]) == "processor" ? count + 1 : count
        }
    }

    /// Counts CPUs in a sysfs list such as `0-3,5,8-11`; nil when malformed.
    public static func cpuListCount(_ list: String) -> Int? {
        let text = trim(Substring(list))
        guard !text.isEmpty else { return nil }
        var count = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 1 || bounds.count == 2,
                  let low = Int(bounds[0]), low >= 0,
                  let high = bounds.count == 2 ? Int(bounds[1]) : low, high >= low else { return nil }
            count += high - low + 1
        }
        return count
    }

    static func trim(_ s: Substring) -> String {
        var t = s
        while let c = t.first, c == " " || c == "\t" || c == "\n" || c == "\r" { t = t.dropFirst() }
        while let c = t.last, c == " " || c == "\t" || c == "\n" || c == "\r" { t = t.dropLast() }
        return String(t)
    }
}
