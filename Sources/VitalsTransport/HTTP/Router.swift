import VitalsSupport
/// Who may call a route: anyone allowed to read, only an admin token holder, a job or
/// admin token holder (job routes: the host application reports its jobs at high rates), or
/// anyone at all, token or not (files that carry no data, such as a web page's scripts).
public enum RouteAccess: Sendable { case read, admin, job, anyone }

/// How a route runs. Fast handlers answer on the I/O thread; anything that touches disk
/// or may take longer than a few microseconds runs on the worker pool.
public enum RouteAction: Sendable {
    case inline(@Sendable (HTTPRequest) -> HTTPResponse)
    case worker(@Sendable (HTTPRequest) -> HTTPResponse)
    case upgrade(@Sendable (HTTPRequest) -> UpgradeDecision)
}

public struct Route: Sendable {
    public let method: String
    public let pattern: String
    public let access: RouteAccess
    public let action: RouteAction
    /// Position in `Router.all`: a dense key for per-route counters.
    public let index: Int
    fileprivate let segments: [Segment]

    fileprivate enum Segment: Sendable, Equatable { case literal(String), param(String) }
}

/// Method + path table. Literal paths are a dictionary lookup; patterns with `{name}`
/// segments are matched segment by segment.
public struct Router: Sendable {
    public enum Match {
        case found(Route, params: [String: String])
        case methodNotAllowed(allow: [String])
        case notFound
    }

    private var exact: [String: [String: Route]] = [:]
    private var patterns: [Route] = []
    public private(set) var all: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, access: RouteAccess = .read, _ action: RouteAction) {
        let segs = pattern.split(separator: "/").map { s -> Route.Segment in
            s.hasPrefix("{") && s.hasSuffix("}") ? .param(String(s.dropFirst().dropLast())) : .literal(String(s))
        }
        let route = Route(method: method, pattern: pattern, access: access, action: action, index: all.count, segments: segs)
        all.append(route)
        if segs.contains(where: { if case .param = $0 { return true }; return false }) {
            patterns.append(route)
        } else {
            exact[pattern, default: [:]][method] = route
        }
    }

    public func match(method: String, path: String) -> Match {
        // HEAD is served by the GET handler; the writer drops the body.
        let lookup = method == "HEAD" ? "GET" : method
        if let byMethod = exact[path] {
            if let r = byMethod[lookup] { return .found(r, params: [:]) }
            return .methodNotAllowed(allow: Self.allowList(byMethod.keys))
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var allowed: [String] = []
        for r in patterns where r.segments.count == parts.count {
            var params: [String: String] = [:]
            var ok = true
            for (seg, part) in zip(r.segments, parts) {
                switch seg {
                case .literal(let l): if l != part { ok = false }
                case .param(let name): params[name] = String(part)
                }
                if !ok { break }
            }
            guard ok else { continue }
            if r.method == lookup { return .found(r, params: params) }
            allowed.append(r.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allow: Self.allowList(allowed))
    }

    /// Allowed methods for a path, for OPTIONS and 405 answers.
    public func methods(for path: String) -> [String]? {
        switch match(method: "\u{0}", path: path) {
        case .methodNotAllowed(let allow): return allow
        default: return nil
        }
    }

    private static func allowList<S: Sequence>(_ methods: S) -> [String] where S.Element == String {
        var set = Set(methods)
        if set.contains("GET") { set.insert("HEAD") }
        set.insert("OPTIONS")
        return set.sorted()
    }
}
