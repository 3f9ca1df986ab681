import VitalsSupport
import VitalsCore

/// `vitals_alerts{state,severity}`: the alerts pending or firing now, for dashboards and
/// for a fleet's Prometheus to see which hosts are in trouble without Alertmanager.
/// Every combination is written, with zeros, so a panel's series exist before anything fires.
func writeAlertMetrics(_ engine: AlertEngine, into w: inout ExpositionWriter) {
    var counts: [String: Int] = [:]
    for a in engine.alerts(includeResolved: false) where a.state == .pending || a.state == .firing {
        counts["\(a.state.rawValue)/\(a.severity?.rawValue ?? "none")", default: 0] += 1
    }
    w.family("vitals_alerts", help: "Alerts pending or firing now, by state and severity.", kind: .gauge)
    for state in ["pending", "firing"] {
        for severity in AlertSeverity.allCases.map(\.rawValue) {
            w.sample(labels: [("state", state), ("severity", severity)], Double(counts["\(state)/\(severity)"] ?? 0))
        }
    }
}
