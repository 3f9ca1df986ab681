import VitalsSupport

/// Who acknowledged an alert, when, why, and until when (nil: until it resolves).
public struct AlertAcknowledgement: Sendable, Equatable {
    public var by: String
    public var atMs: Int64
    public var comment: String?
    public var expiresMs: Int64?
    public init(by: String, atMs: Int64, comment: String?, expiresMs: Int64?) {
        self.by = by; self.atMs = atMs; self.comment = comment; self.expiresMs = expiresMs
    }
    public func isActive(at now: Int64) -> Bool { expiresMs.map { now < $0 } ?? true }
}

/// One alert episode as the API, the store and the notifiers see it. `id` names the
/// episode; `fingerprint` the alert (rule and label set) across episodes and escalations.
public struct AlertRecord: Sendable, Equatable {
    public var id: Int64
    public var rule: String
    public var fingerprint: String
    /// Sorted by name: alertname, instance, the subject's labels, the rule's labels.
    public var labels: [(String, String)]
    public var state: AlertState
    public var severity: AlertSeverity?
    public var value: Double?
    /// When the condition first held (pending began), when it fired, when it resolved.
    public var startsMs: Int64
    public var firedMs: Int64?
    public var resolvedMs: Int64?
    public var summary: String
    public var description: String
    public var ack: AlertAcknowledgement?
    public var updatedMs: Int64

    public static func == (a: Self, b: Self) -> Bool {
        a.id == b.id && a.state == b.state && a.severity == b.severity && a.value == b.value && a.ack == b.ack
            && a.updatedMs == b.updatedMs && a.labels.elementsEqual(b.labels, by: { $0 == $1 })
    }

    public func label(_ name: String) -> String? { labels.first { $0.0 == name }?.1 }
}

/// What happened to an alert on one evaluation, with the alert as it is after it.
public struct AlertEvent: Sendable {
    public enum Change: String, Sendable {
        case pending, firing, escalated, deescalated, resolved, inactive, acknowledged
    }
    public let change: Change
    public let atMs: Int64
    public let alert: AlertRecord
}

public enum AlertFingerprint {
    /// Prometheus' label-set fingerprint (`model.LabelSet.Fingerprint`): FNV-1a 64 over
    /// the names in order, each name and value followed by 0xff; 16 hex digits.
    public static func of(_ labels: [(String, String)]) -> String {
        var h: UInt64 = 14_695_981_039_346_656_037
        for (k, v) in labels.sorted(by: { $0.0 < $1.0 }) {
            for b in k.utf8 { h ^= UInt64(b); h &*= 1_099_511_628_211 }
            h ^= 0xff; h &*= 1_099_511_628_211
            for b in v.utf8 { h ^= UInt64(b); h &*= 1_099_511_628_211 }
            h ^= 0xff; h &*= 1_099_511_628_211
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
