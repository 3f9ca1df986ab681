import VitalsSupport
/// Writes the Prometheus 0.0.4 or OpenMetrics 1.0 text into bytes. A family's HELP/TYPE/UNIT
/// lines are written with its first sample, so a family with no samples (no GPU, say) leaves
/// no trace, and each family's lines appear once. Non-finite values are never written: no
/// scraper should see NaN where the truth is "unknown".
public struct ExpositionWriter {
    public let format: ExpositionFormat
    public private(set) var bytes: [UInt8]
    private var family = ""
    private var kind = MetricKind.gauge
    private var pendingHeader: (help: String, unit: MetricUnit)?
    private var names: Set<String> = []

    public init(format: ExpositionFormat, capacity: Int = 16 << 10) {
        self.format = format
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Starts a family. `name` is the family name: a counter's samples add `_total`, a
    /// histogram's `_bucket`, `_sum` and `_count`. A name already used is ignored (its samples
    /// are dropped): a duplicate family would make the whole exposition invalid.
    public mutating func family(_ name: String, help: String, kind: MetricKind, unit: MetricUnit = .none) {
        if names.contains(name) { family = ""; pendingHeader = nil; return }
        names.insert(name)
        family = name
        self.kind = kind
        pendingHeader = (help, unit)
    }

    /// One sample of the current family. `suffix` is "" for gauges (counters get `_total`
    /// automatically), or `_bucket`/`_sum`/`_count` for histograms.
    public mutating func sample(suffix: String = "", labels: [(String, String)] = [], _ value: Double) {
        guard beginSample(suffix: suffix, value) else { return }
        for (i, (k, v)) in labels.enumerated() { label(k, v, first: i == 0) }
        endSample(value, labelled: !labels.isEmpty)
    }

    /// One sample whose labels come from a subject of the metric table (no label array built).
    public mutating func sample(_ subject: MetricSubject, _ value: Double) {
        guard beginSample(suffix: "", value) else { return }
        let names = subject.labelNames
        for (i, k) in names.enumerated() { label(k, subject.label(k) ?? "", first: i == 0) }
        endSample(value, labelled: !names.isEmpty)
    }

    /// Ends the exposition: OpenMetrics requires `# EOF`.
    public mutating func finish() {
        if format == .openMetrics { append("# EOF\n") }
    }

    // MARK: lines

    private mutating func beginSample(suffix: String, _ value: Double) -> Bool {
        guard !family.isEmpty, value.isFinite else { return false }
        if let h = pendingHeader { writeHeader(help: h.help, unit: h.unit); pendingHeader = nil }
        append(family)
        append(kind == .counter && suffix.isEmpty ? "_total" : suffix)
        return true
    }

    private mutating func label(_ name: String, _ value: String, first: Bool) {
        append(first ? "{" : ",")
        append(name)
        append("=\"")
        escape(value, quotes: true)
        append("\"")
    }

    private mutating func endSample(_ value: Double, labelled: Bool) {
        if labelled { append("}") }
        append(" ")
        append(Self.number(value))
        append("\n")
    }

    private mutating func writeHeader(help: String, unit: MetricUnit) {
        // 0.0.4 names a counter's TYPE by its sample name (`x_total`); OpenMetrics by the family.
        let typeName = format == .prometheus && kind == .counter ? family + "_total" : family
        append("# HELP "); append(typeName); append(" ")
        escape(help, quotes: format == .openMetrics)
        append("\n# TYPE "); append(typeName); append(" ")
        switch kind {
        case .gauge: append("gauge")
        case .counter: append("counter")
        case .histogram: append("histogram")
        }
        append("\n")
        if format == .openMetrics, unit != .none {
            append("# UNIT "); append(family); append(" "); append(unit.rawValue); append("\n")
        }
    }

    /// Backslash and newline are escaped everywhere; double quotes in label values (and in
    /// OpenMetrics HELP, whose grammar allows the escape; 0.0.4 HELP does not).
    private mutating func escape(_ s: String, quotes: Bool) {
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\\"): append("\\\\")
            case UInt8(ascii: "\n"): append("\\n")
            case UInt8(ascii: "\""): if quotes { append("\\\"") } else { bytes.append(b) }
            default: bytes.append(b)
            }
        }
    }

    private mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// Integers without a fraction (byte counts read exactly), others in Swift's shortest
    /// round-trip form ("0.65", "1e-05"), which Prometheus' float parser reads back exactly.
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 9.0e15 { return String(Int64(v)) }
        return v.description
    }
}
