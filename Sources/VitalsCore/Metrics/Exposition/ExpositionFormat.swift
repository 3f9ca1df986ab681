import VitalsSupport
/// The two text formats `/metrics` speaks.
public enum ExpositionFormat: Sendable {
    /// Prometheus text exposition 0.0.4: what every scraper understands.
    case prometheus
    /// OpenMetrics 1.0: UNIT lines, counters typed by family name, `# EOF` at the end.
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheus: return "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: return "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// The format an `Accept` header asks for: OpenMetrics when it names
    /// `application/openmetrics-text` with a q-value above 0 and not below that of any other
    /// type it names (Prometheus sends openmetrics at q=1, text/plain at 0.5); else the 0.0.4 text.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheus }
        var openMetricsQ = -1.0, otherQ = -1.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";")
            guard let type = parts.first?.trimmingASCIIWhitespace().lowercased() else { continue }
            var q = 1.0
            for p in parts.dropFirst() {
                let kv = p.trimmingASCIIWhitespace()
                if kv.lowercased().hasPrefix("q=") { q = Double(kv.dropFirst(2)) ?? 0 }
            }
            if type == "application/openmetrics-text" { openMetricsQ = max(openMetricsQ, q) } else { otherQ = max(otherQ, q) }
        }
        return openMetricsQ > 0 && openMetricsQ >= otherQ ? .openMetrics : .prometheus
    }
}

extension Substring {
    fileprivate func trimmingASCIIWhitespace() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
