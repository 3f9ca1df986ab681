/// The state machine of one alert (Prometheus `rules/alerting.go`): inactive → pending
/// (while `for` runs) → firing (warning or critical, escalating and de-escalating with the
/// level) → resolved (after `keep_firing_for` without the condition). Pure: the caller
/// gives the level and the time, so fake-clock tests drive it directly.
struct AlertInstance {
    var record: AlertRecord
    /// The level the condition is at now, remembered for hysteresis.
    var level: AlertSeverity?
    /// Since when the condition has been gone while firing (`keep_firing_for`).
    var clearedSinceMs: Int64?
    var lastNotifiedMs: Int64?
    var subject: String

    var state: AlertState { record.state }
    var isActive: Bool { record.state == .pending || record.state == .firing }

    /// One evaluation; returns what changed, if anything.
    mutating func step(level new: AlertSeverity?, value: Double?, now: Int64, rule: AlertRule) -> AlertEvent.Change? {
        record.value = value
        switch record.state {
        case .inactive, .resolved:
            guard let l = new else { return nil }
            level = l
            record.startsMs = now
            record.resolvedMs = nil
            record.ack = nil
            if rule.forMs <= 0 { fire(l, now); return .firing }
            record.state = .pending
            record.updatedMs = now
            return .pending
        case .pending:
            guard let l = new else {
                level = nil
                record.state = .inactive
                record.updatedMs = now
                return .inactive
            }
            level = l
            if now - record.startsMs >= rule.forMs { fire(l, now); return .firing }
            return nil
        case .firing:
            if let l = new {
                level = l
                clearedSinceMs = nil
                guard let old = record.severity, l != old else { return nil }
                record.severity = l
                record.updatedMs = now
                return l > old ? .escalated : .deescalated
            }
            level = nil
            if rule.keepFiringForMs > 0 {
                let since = clearedSinceMs ?? now
                clearedSinceMs = since
                if now - since < rule.keepFiringForMs { return nil }
            }
            clearedSinceMs = nil
            record.state = .resolved
            record.resolvedMs = now
            record.updatedMs = now
            return .resolved
        }
    }

    private mutating func fire(_ l: AlertSeverity, _ now: Int64) {
        record.state = .firing
        record.severity = l
        record.firedMs = now
        record.updatedMs = now
        clearedSinceMs = nil
    }
}
