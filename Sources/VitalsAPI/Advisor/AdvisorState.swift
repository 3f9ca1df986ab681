import VitalsSupport
import VitalsCore
import Synchronization

/// The advisor's settings (with the workload they are for) and the resource constraints:
/// read by every advisor route and by health, changed by the POST routes, kept in the
/// settings table so they survive a restart.
///
/// Reads take a short lock and copy; a change holds `writing` across merge, store and swap,
/// so two POSTs cannot interleave their read-modify-write, and readers never wait on the disk.
final class AdvisorState: Sendable {
    struct Optimization: Sendable, Equatable {
        var settings = OptimizationSettings()
        var workload = Workload()
    }

    static let optimizationKey = "advisor.optimization"
    static let constraintsKey = "advisor.constraints"

    private let store: HistoryStore?
    private let optimizationBox: Mutex<Optimization>
    private let constraintsBox: Mutex<ResourceConstraints>
    /// Health's rules, rebuilt when the constraints change rather than on every request.
    private let rulesBox: Mutex<[HealthRule]>
    private let writing = Mutex(())
    /// Where each change is told (stored and published on the `activity` topic).
    private let activity: ActivityLog?
    /// Told the kind of each change after it is stored (the alert engine follows the constraints).
    private let changed: @Sendable (String) -> Void

    init(store: HistoryStore?, activity: ActivityLog? = nil, changed: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.activity = activity
        self.changed = changed
        var o = Optimization()
        var c = ResourceConstraints()
        // Start-up only: a document that cannot be read leaves the defaults in place.
        do {
            if let bytes = try store?.setting(key: Self.optimizationKey), let doc = try? JSONValue.parse(bytes).objectValue {
                o.settings = AdvisorJSON.mergeSettings(o.settings, doc)
                o.workload = AdvisorJSON.mergeWorkload(o.workload, doc["workload"]?.objectValue ?? [:])
            }
            if let bytes = try store?.setting(key: Self.constraintsKey), let doc = try? JSONValue.parse(bytes).objectValue,
               case .success(let merged) = AdvisorJSON.mergeConstraints(c, doc) {
                c = merged
            }
        } catch {
            Log.warn("advisor settings could not be read; using defaults", ["error": "\(error)"])
        }
        optimizationBox = Mutex(o)
        constraintsBox = Mutex(c)
        rulesBox = Mutex(HealthRules.rules(for: c))
    }

    var optimization: Optimization { optimizationBox.withLock { $0 } }
    var constraints: ResourceConstraints { constraintsBox.withLock { $0 } }
    var healthRules: [HealthRule] { rulesBox.withLock { $0 } }

    enum UpdateError: Error { case invalid(ValidationIssue), rejected(String), storage(String) }

    /// Applies `change` to the current settings, stores the result and makes it current.
    /// `change` may refuse (an issue or a 409 reason); nothing changes then.
    func updateOptimization(kind: String, _ change: (Optimization) -> Result<Optimization, UpdateError>) -> Result<Optimization, UpdateError> {
        writing.withLock { _ in
            let before = optimization
            let after: Optimization
            switch change(before) {
            case .failure(let e): return .failure(e)
            case .success(let o): after = o
            }
            if let store {
                do { try store.saveSetting(key: Self.optimizationKey, json: AdvisorJSON.document(after.settings, after.workload)) }
                catch { return .failure(.storage("\(error)")) }
            }
            optimizationBox.withLock { $0 = after }
            announce(kind, AdvisorJSON.document(after.settings, after.workload))
            return .success(after)
        }
    }

    func updateConstraints(_ change: (ResourceConstraints) -> Result<ResourceConstraints, UpdateError>) -> Result<ResourceConstraints, UpdateError> {
        writing.withLock { _ in
            let after: ResourceConstraints
            switch change(constraints) {
            case .failure(let e): return .failure(e)
            case .success(let c): after = c
            }
            let doc = AdvisorJSON.constraints(after)
            if let store {
                do { try store.saveSetting(key: Self.constraintsKey, json: doc) } catch { return .failure(.storage("\(error)")) }
            }
            constraintsBox.withLock { $0 = after }
            rulesBox.withLock { $0 = HealthRules.rules(for: after) }
            announce("constraints_updated", doc)
            return .success(after)
        }
    }

    /// Logged, and recorded in the activity feed with the new document as a label.
    private func announce(_ kind: String, _ doc: [UInt8]) {
        let text = String(decoding: doc, as: UTF8.self)
        Log.info("advisor: \(kind)", ["settings": text])
        let what: String
        switch kind {
        case "preset_applied": what = "a preset was applied to the advisor's settings"
        case "constraints_updated": what = "the resource constraints changed"
        default: what = "the advisor's settings changed"
        }
        activity?.record(kind: kind, message: what, labels: [kind == "constraints_updated" ? "constraints" : "settings": text])
        changed(kind)
    }
}
