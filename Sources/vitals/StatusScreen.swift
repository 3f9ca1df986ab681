import VitalsSupport

/// `vitals status`: health and the latest snapshot as one screen of text.
enum StatusScreen {
    static func render(health h: JSONValue, stats s: JSONValue, address: String) -> String {
        var lines: [String] = []
        let daemon = h["components"]?["daemon"]
        lines.append("vitals \(daemon?["version"]?.stringValue ?? "?") at \(address): \(h["status"]?.stringValue ?? "?")"
                     + " (score \(h["score"]?.intValue ?? 0)), up \(duration(daemon?["uptime_s"]?.doubleValue ?? 0))")
        let cpu = s["cpu"], mem = s["memory"], load = s["cpu"]?["load"]
        lines.append("CPU   \(pct(cpu?["percent"]?.doubleValue))  load \(num(load?["1m"]?.doubleValue)) \(num(load?["5m"]?.doubleValue)) \(num(load?["15m"]?.doubleValue))"
                     + "   RAM \(pct(mem?["percent"]?.doubleValue)) of \(bytes(mem?["total"]?.doubleValue))"
                     + "   swap \(pct(s["swap"]?["percent"]?.doubleValue))")
        let disks = (s["filesystems"]?.arrayValue ?? []).map { f in
            "\(f["mount"]?.stringValue ?? "?") \(pct(f["percent"]?.doubleValue)) of \(bytes(f["total"]?.doubleValue))"
        }
        if !disks.isEmpty { lines.append("Disk  " + disks.joined(separator: "; ")) }
        if let gpu = s["gpu"], gpu["available"]?.boolValue == true {
            for d in gpu["devices"]?.arrayValue ?? [] {
                let idx = d["index"]?.intValue ?? 0
                let name = d["name"]?.stringValue ?? "GPU"
                if d["state"]?.stringValue == "asleep" {
                    lines.append("GPU \(idx) \(name)   asleep")
                    continue
                }
                let m = d["memory"]
                lines.append("GPU \(idx) \(name)   util \(pct(d["utilization"]?["gpu"]?.doubleValue))"
                             + "  VRAM \(bytes(m?["used"]?.doubleValue))/\(bytes(m?["total"]?.doubleValue)) (\(pct(m?["percent"]?.doubleValue)))"
                             + "  \(num(d["temperature_c"]?.doubleValue, 0)) °C"
                             + "  \(num(d["power"]?["draw_w"]?.doubleValue, 0))/\(num(d["power"]?["limit_w"]?.doubleValue, 0)) W")
            }
        } else {
            lines.append("GPU   none (\(s["gpu"]?["reason"]?.stringValue ?? "unknown"))")
        }
        let warnings = h["warnings"]?.arrayValue ?? []
        if warnings.isEmpty {
            lines.append("No warnings.")
        } else {
            lines.append("Warnings:")
            for w in warnings {
                lines.append("  \(w["severity"]?.stringValue ?? "?") \(w["component"]?.stringValue ?? "?"): \(w["message"]?.stringValue ?? "")"
                             + " - \(w["suggestion"]?.stringValue ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func pct(_ v: Double?) -> String { v.map { fixed($0, 1) + " %" } ?? "-" }
    static func num(_ v: Double?, _ decimals: Int = 2) -> String { v.map { fixed($0, decimals) } ?? "-" }

    /// 1.5 GiB, 931.3 GiB, 1.8 TiB.
    static func bytes(_ v: Double?) -> String {
        guard var x = v else { return "-" }
        for unit in ["B", "KiB", "MiB", "GiB", "TiB"] {
            if x < 1024 || unit == "TiB" { return fixed(x, unit == "B" ? 0 : 1) + " " + unit }
            x /= 1024
        }
        return "-"
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        if s < 86_400 { return "\(s / 3600)h \((s % 3600) / 60)m" }
        return "\(s / 86_400)d \((s % 86_400) / 3600)h"
    }

    /// Fixed decimals without Foundation's String(format:).
    static func fixed(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let r = (v * scale).rounded() / scale
        var s = String(r)
        if s.hasSuffix(".0") && decimals == 0 { s.removeLast(2) }
        if let dot = s.firstIndex(of: ".") {
            let have = s.distance(from: dot, to: s.endIndex) - 1
            if have < decimals { s += String(repeating: "0", count: decimals - have) }
        } else if decimals > 0 {
            s += "." + String(repeating: "0", count: decimals)
        }
        return s
    }
}
