import VitalsSupport
import Dispatch
import Synchronization

/// One of the application's own endpoints to watch (config `services`): an http:// URL
/// answering `expectStatus`, or a TCP `host:port` accepting connections.
public struct ServiceSpec: Sendable, Equatable {
    public enum Target: Sendable, Equatable { case http(String), tcp(host: String, port: Int) }
    public var name: String
    public var target: Target
    public var expectStatus = 200
    public var intervalMs: Int64 = 30_000
    public var timeoutMs: Int64 = 5_000

    public init(name: String, target: Target) { self.name = name; self.target = target }

    public var targetText: String {
        switch target {
        case .http(let u): return u
        case .tcp(let h, let p): return h.contains(":") ? "[\(h)]:\(p)" : "\(h):\(p)"
        }
    }

    /// `{"name", "url" | "tcp", "expect_status", "interval", "timeout"}`; nil with why not.
    public static func parse(_ v: JSONValue) -> Result<ServiceSpec, ConfigError> {
        func fail(_ why: String) -> Result<ServiceSpec, ConfigError> { .failure(ConfigError(why)) }
        guard let o = v.objectValue else { return fail("each service must be an object") }
        let known = ["name", "url", "tcp", "expect_status", "interval", "timeout"]
        if let k = o.keys.first(where: { !known.contains($0) }) { return fail("unknown field \(k); known: " + known.joined(separator: ", ")) }
        guard let name = o["name"]?.stringValue, AlertRuleCodec.isName(name) else {
            return fail("name must be 1 to 64 letters, digits, '_' or ':'")
        }
        var s: ServiceSpec
        switch (o["url"]?.stringValue, o["tcp"]?.stringValue) {
        case (let u?, nil):
            guard HTTPPost.parse(u) != nil else { return fail("\(name): url must be an http:// URL (https needs TLS, which this build lacks)") }
            s = ServiceSpec(name: name, target: .http(u))
        case (nil, let t?):
            guard let target = HTTPPost.parse("http://" + t), target.path == "/", t.contains(":") else {
                return fail("\(name): tcp must be host:port")
            }
            s = ServiceSpec(name: name, target: .tcp(host: target.host, port: target.port))
        default: return fail("\(name): give url or tcp, one of them")
        }
        if let x = o["expect_status"] {
            guard let c = x.intValue, (100...599).contains(c) else { return fail("\(name): expect_status must be an HTTP status") }
            s.expectStatus = c
        }
        for (key, path, range) in [("interval", \ServiceSpec.intervalMs, Int64(1000)...86_400_000), ("timeout", \.timeoutMs, Int64(100)...60_000)]
            as [(String, WritableKeyPath<ServiceSpec, Int64>, ClosedRange<Int64>)] {
            guard let x = o[key] else { continue }
            guard let ms = AlertRuleCodec.duration(x), range.contains(ms) else { return fail("\(name): \(key) must be a duration like \"30s\"") }
            s[keyPath: path] = ms
        }
        return .success(s)
    }
}

/// The last probe of one service.
public struct ServiceStatus: Sendable, Equatable {
    public var spec: ServiceSpec
    /// nil until the first probe.
    public var up: Bool?
    public var latencyMs: Double?
    public var lastError: String?
    /// Since when it has been up (or down).
    public var sinceMs: Int64?
    public var lastCheckMs: Int64?
}

/// Probes each service every `interval` on its own queue, off the tick and the HTTP
/// threads, each with its timeout. Health, `/metrics`, the services route and the default
/// "service down" rules read `statuses`.
public final class ServiceProber: Sendable {
    private let specs: [ServiceSpec]
    private let time: any TimeSource
    private let state: Mutex<[String: ServiceStatus]>
    private let timers = Mutex<[TimerBox]>([])
    private struct TimerBox: @unchecked Sendable { let t: DispatchSourceTimer }

    public init(specs: [ServiceSpec], time: any TimeSource) {
        self.specs = specs
        self.time = time
        state = Mutex(Dictionary(uniqueKeysWithValues: specs.map { ($0.name, ServiceStatus(spec: $0)) }))
    }

    public var statuses: [ServiceStatus] {
        let s = state.withLock { $0 }
        return specs.compactMap { s[$0.name] }
    }

    public func status(_ name: String) -> ServiceStatus? { state.withLock { $0[name] } }

    public func start() {
        var boxes: [TimerBox] = []
        for spec in specs {
            let q = DispatchQueue(label: "vitals.services.\(spec.name)")
            let t = DispatchSource.makeTimerSource(queue: q)
            t.schedule(deadline: .now(), repeating: .milliseconds(Int(spec.intervalMs)), leeway: .milliseconds(100))
            t.setEventHandler { [weak self] in self?.probe(spec) }
            t.resume()
            boxes.append(TimerBox(t: t))
        }
        timers.withLock { $0 = boxes }
    }

    public func stop() { timers.withLock { for b in $0 { b.t.cancel() }; $0.removeAll() } }

    /// Probes every service now, one after the other (tests).
    public func probeAllNow() { for s in specs { probe(s) } }

    private func probe(_ spec: ServiceSpec) {
        let started = Clock.monotonicNs()
        var error: String? = nil
        switch spec.target {
        case .http(let url):
            switch HTTPPost.post(url, body: [], userAgent: "vitals/probe", timeoutMs: Int(spec.timeoutMs), method: "GET") {
            case .status(let code) where code == spec.expectStatus: break
            case .status(let code): error = "HTTP \(code), expected \(spec.expectStatus)"
            case .networkError(let why): error = why
            }
        case .tcp(let host, let port):
            error = HTTPPost.tcpConnect(host: host, port: port, timeoutMs: Int(spec.timeoutMs))
        }
        let latency = Double(Clock.monotonicNs() - started) / 1e6
        let now = time.wallMs()
        state.withLock { s in
            var st = s[spec.name] ?? ServiceStatus(spec: spec)
            let up = error == nil
            if st.up != up { st.sinceMs = now }
            st.up = up
            st.latencyMs = latency
            st.lastError = error ?? st.lastError
            st.lastCheckMs = now
            s[spec.name] = st
        }
    }

    /// The signals the default "service down" rules read: 1 up, 0 down, nil before the first probe.
    public var signals: [String: AlertEngine.Signal] {
        var out: [String: AlertEngine.Signal] = [:]
        for s in specs { out[Self.signalName(s.name)] = { [weak self] in self?.status(s.name)?.up.map { $0 ? 1 : 0 } } }
        return out
    }

    public static func signalName(_ service: String) -> String { "vitals_service_up:" + service }

    public static func defaultRules(_ specs: [ServiceSpec]) -> [AlertRule] {
        specs.map { s in
            var r = AlertRule(name: "service_down_" + s.name, metric: signalName(s.name))
            r.op = .below; r.critical = 0.5
            r.forMs = max(30_000, s.intervalMs * 2)
            r.labels = ["service": s.name]
            r.summary = "service \(s.name) (\(s.targetText)) is down"
            return r
        }
    }
}
