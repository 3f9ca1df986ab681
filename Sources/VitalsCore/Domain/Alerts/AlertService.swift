import VitalsSupport
import Dispatch
import Synchronization

/// What `alerts.*` in the config sets.
public struct AlertOptions: Sendable, Equatable {
    public var configRules: [AlertRule] = []
    public var replaceDefaults = false
    public var webhooks: [String] = []
    public var alertmanagerURLs: [String] = []
    public var sendResolved = true
    public var repeatIntervalMs: Int64 = 4 * 3_600_000
    public var retentionMs: Int64 = 90 * 86_400_000
    /// How receivers reach this daemon (`externalURL`, `generatorURL`).
    public var externalURL = "http://127.0.0.1:8089"
    public init() {}
}

/// The alerting part of the daemon: the engine (on the tick), the rule set (defaults,
/// config, operator edits kept in the settings table), the recorder (stores every change,
/// queues its notifications, publishes it) on its own queue, the timers (signals every
/// second, repeats, the Alertmanager re-send every minute, retention) and the outbox.
public final class AlertService: Sendable {
    public enum EditError: Error, Sendable { case exists(String), notFound(String), storage(String) }
    public typealias Publish = @Sendable (_ event: [UInt8]) -> Void
    /// (kind, message, labels): the activity feed, wired by the app.
    public typealias Activity = @Sendable (_ kind: String, _ message: String, _ labels: [String: String]) -> Void

    static let settingsKey = "alerts.rules"

    public let engine: AlertEngine
    public let outbox: AlertOutbox?
    public let options: AlertOptions
    private let store: HistoryStore?
    private let time: any TimeSource
    private let queue = DispatchQueue(label: "vitals.alerts.recorder")
    private let overrides: Mutex<(api: [AlertRule], deleted: Set<String>)>
    /// Defaults beyond `AlertDefaults.rules` (one "service down" rule per watched service).
    private let extraDefaults: [AlertRule]
    private let constraints: Mutex<ResourceConstraints>
    private let editing = Mutex(())
    private let publish: Publish
    private let activity: Activity
    private let timer = Mutex<TimerBox?>(nil)
    private let lastPushMs = Atomic<Int64>(0)
    private let lastPruneMs = Atomic<Int64>(0)
    private struct TimerBox: @unchecked Sendable { let t: DispatchSourceTimer }

    private final class Relay: Sendable {
        let target = Mutex<(@Sendable ([AlertEvent]) -> Void)?>(nil)
        func send(_ e: [AlertEvent]) { target.withLock { $0 }?(e) }
    }

    public init(options: AlertOptions, store: HistoryStore?, time: any TimeSource, constraints: ResourceConstraints,
                signals: [String: AlertEngine.Signal], hostname: String, extraDefaults: [AlertRule] = [],
                publish: @escaping Publish = { _ in }, activity: @escaping Activity = { _, _, _ in },
                send: AlertOutbox.Send? = nil) {
        self.options = options
        self.store = store
        self.time = time
        self.publish = publish
        self.activity = activity
        self.constraints = Mutex(constraints)
        self.extraDefaults = extraDefaults
        var api: [AlertRule] = [], deleted = Set<String>()
        let known = { (n: String) in AlertEngine.isKnown(n, signals: signals.keys) }
        if let bytes = try? store?.setting(key: Self.settingsKey), let doc = try? JSONValue.parse(bytes) {
            if let list = doc["rules"], case .success(let r) = AlertRuleCodec.parseList(list, at: "rules", known: known) { api = r }
            deleted = Set(doc["deleted"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        overrides = Mutex((api, deleted))
        var restored: [AlertRecord] = [], nextID: Int64 = 1
        if let store {
            do { (restored, nextID) = try store.restorableAlerts(resolvedSinceMs: time.wallMs() - 3_600_000) } catch {
                Log.warn("alerts: stored alerts could not be read; starting without them", ["error": "\(error)"])
            }
        }
        let relay = Relay()
        let rules = AlertDefaults.effective(defaults: AlertDefaults.rules(for: constraints) + extraDefaults, config: options.configRules,
                                            replaceDefaults: options.replaceDefaults, api: api, deleted: deleted).map(\.0)
        engine = AlertEngine(rules: rules, time: time, signals: signals, restored: restored, nextID: nextID,
                             hostname: hostname, onEvents: { relay.send($0) })
        if let store, !(options.webhooks.isEmpty && options.alertmanagerURLs.isEmpty) {
            outbox = send.map { AlertOutbox(store: store, time: time, send: $0) } ?? AlertOutbox(store: store, time: time)
        } else {
            outbox = nil
        }
        relay.target.withLock {
            $0 = { [weak self] events in
                guard let self else { return }
                self.queue.async { [weak self] in self?.record(events) }
            }
        }
    }

    public func start() {
        outbox?.start()
        outbox?.kick()
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + .seconds(1), repeating: .seconds(1), leeway: .milliseconds(100))
        t.setEventHandler { [weak self] in self?.periodic() }
        t.resume()
        timer.withLock { $0 = TimerBox(t: t) }
    }

    public func stop() {
        timer.withLock { $0?.t.cancel(); $0 = nil }
        queue.sync {}
        outbox?.stop()
    }

    /// Waits until every change handed over so far is stored and queued (tests, shutdown).
    public func drain() { queue.sync {} }

    // MARK: recording

    private func record(_ events: [AlertEvent]) {
        var rows: [NotificationRow] = []
        let now = time.wallMs()
        for e in events {
            switch e.change {
            case .firing, .escalated, .deescalated: rows += notifications(e.alert, resolved: false, now: now)
            case .resolved: rows += notifications(e.alert, resolved: true, now: now)
            case .pending, .inactive, .acknowledged: break
            }
        }
        do { try store?.recordAlertEvents(events, notifications: rows) } catch {
            Log.warn("alerts: a state change could not be stored", ["error": "\(error)"])
        }
        for e in events {
            var w = JSONWriter(capacity: 512)
            w.beginObject()
            w.field("type", "alert_" + e.change.rawValue)
            w.field("ts", e.atMs)
            w.key("alert"); AlertPayloads.record(e.alert, into: &w)
            w.endObject()
            publish(w.bytes)
            // The feed tells what a person would want to read later; pending and a pending
            // that cleared are only on the alerts topic.
            if e.change != .inactive && e.change != .pending {
                activity("alert_" + e.change.rawValue, e.alert.summary,
                         Dictionary(e.alert.labels, uniquingKeysWith: { a, _ in a }))
            }
            if e.change == .firing || e.change == .resolved || e.change == .escalated {
                Log.info("alert \(e.change.rawValue)", ["rule": e.alert.rule, "id": e.alert.id, "summary": e.alert.summary])
            }
        }
        if !rows.isEmpty { outbox?.kick() }
    }

    private func notifications(_ a: AlertRecord, resolved: Bool, now: Int64, webhooks: Bool = true, push: Bool = true) -> [NotificationRow] {
        var rows: [NotificationRow] = []
        func row(_ kind: String, _ target: String, _ payload: [UInt8]) -> NotificationRow {
            NotificationRow(id: 0, alertID: a.id, fingerprint: a.fingerprint, kind: kind, target: target,
                            status: resolved ? "resolved" : "firing", payload: payload, createdMs: now, state: "pending",
                            attempts: 0, nextMs: now, lastStatus: nil, lastError: nil, doneMs: nil)
        }
        if webhooks && (!resolved || options.sendResolved) {
            let payload = AlertPayloads.webhook(a, resolved: resolved, externalURL: options.externalURL)
            for url in options.webhooks { rows.append(row("webhook", url, payload)) }
        }
        if push {
            let payload = AlertPayloads.alertmanager([a], nowMs: now, externalURL: options.externalURL)
            for base in options.alertmanagerURLs {
                rows.append(row("alertmanager", (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/api/v2/alerts", payload))
            }
        }
        return rows
    }

    /// Every second on the recorder queue: signals, repeats, the minute's Alertmanager
    /// re-send, and once an hour the retention.
    private func periodic() {
        engine.checkSignals()
        let now = time.wallMs()
        var rows: [NotificationRow] = []
        if !options.webhooks.isEmpty {
            for a in engine.dueRepeats(everyMs: options.repeatIntervalMs) {
                rows += notifications(a, resolved: false, now: now, push: false)
            }
        }
        if !options.alertmanagerURLs.isEmpty, now - lastPushMs.load(ordering: .relaxed) >= 60_000 {
            lastPushMs.store(now, ordering: .relaxed)
            for a in engine.alerts(includeResolved: false) where a.state == .firing {
                rows += notifications(a, resolved: false, now: now, webhooks: false)
            }
        }
        if !rows.isEmpty {
            do { try store?.enqueueNotifications(rows); outbox?.kick() } catch {
                Log.warn("alerts: notifications could not be queued", ["error": "\(error)"])
            }
        }
        if now - lastPruneMs.load(ordering: .relaxed) >= 3_600_000 {
            lastPruneMs.store(now, ordering: .relaxed)
            try? store?.pruneAlerts(beforeMs: now - options.retentionMs)
        }
    }

    /// The repeat and re-send pass now (tests drive it with a fake clock).
    public func runPeriodicNow() { queue.sync { periodic() } }

    // MARK: rules

    private func knownMetric(_ name: String) -> Bool { AlertEngine.isKnown(name, signals: AlertDefaults.signalNames) || engine.knowsSignal(name) }

    public func parseRule(_ v: JSONValue, at prefix: String) -> Result<AlertRule, AlertRuleIssue> {
        AlertRuleCodec.parse(v, at: prefix, known: knownMetric)
    }

    public func rules() -> [(AlertRule, AlertDefaults.Source)] {
        let o = overrides.withLock { $0 }
        return AlertDefaults.effective(defaults: AlertDefaults.rules(for: constraints.withLock { $0 }) + extraDefaults, config: options.configRules,
                                       replaceDefaults: options.replaceDefaults, api: o.api, deleted: o.deleted)
    }

    /// The constraints changed: the default rules that read them follow.
    public func constraintsChanged(_ c: ResourceConstraints) {
        constraints.withLock { $0 = c }
        engine.setRules(rules().map(\.0))
    }

    /// Adds a rule (`create`: refused when the name exists) or replaces one; stored first.
    public func putRule(_ r: AlertRule, create: Bool) -> Result<AlertRule, EditError> {
        editing.withLock { _ in
            if create && rules().contains(where: { $0.0.name == r.name }) { return .failure(.exists(r.name)) }
            var o = overrides.withLock { $0 }
            o.api.removeAll { $0.name == r.name }
            o.api.append(r)
            o.deleted.remove(r.name)
            if let e = save(o) { return .failure(e) }
            overrides.withLock { $0 = o }
            engine.setRules(rules().map(\.0))
            return .success(r)
        }
    }

    public func deleteRule(_ name: String) -> Result<AlertRule, EditError> {
        editing.withLock { _ in
            guard let existing = rules().first(where: { $0.0.name == name })?.0 else { return .failure(.notFound(name)) }
            var o = overrides.withLock { $0 }
            o.api.removeAll { $0.name == name }
            o.deleted.insert(name)
            if let e = save(o) { return .failure(e) }
            overrides.withLock { $0 = o }
            engine.setRules(rules().map(\.0))
            return .success(existing)
        }
    }

    private func save(_ o: (api: [AlertRule], deleted: Set<String>)) -> EditError? {
        guard let store else { return nil }
        var w = JSONWriter()
        w.beginObject()
        w.key("rules"); w.raw(AlertRuleCodec.document(o.api))
        w.key("deleted"); w.beginArray(); for d in o.deleted.sorted() { w.string(d) }; w.endArray()
        w.endObject()
        do { try store.saveSetting(key: Self.settingsKey, json: w.bytes); return nil } catch { return .storage("\(error)") }
    }

    // MARK: acknowledging

    public func acknowledge(id: Int64, by: String, comment: String?, expiresMs: Int64?) -> AlertRecord? {
        engine.acknowledge(id: id, AlertAcknowledgement(by: by, atMs: time.wallMs(), comment: comment, expiresMs: expiresMs))
    }

    public var hasStore: Bool { store != nil }
}
