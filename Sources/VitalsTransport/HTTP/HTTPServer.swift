import VitalsSupport
import Glibc
import CLinux
import Dispatch
import Synchronization

public struct HTTPServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 0
    public var ioThreads = 1
    public var maxConnections = 4096
    public var maxHeaderBytes = 16 * 1024
    public var maxBodyBytes = 1024 * 1024
    public var headerTimeoutMs = 10_000
    public var keepAliveTimeoutMs = 30_000
    /// Unsent answers per connection past which its requests wait (and reading stops).
    public var maxConnectionOutputBytes = 4 * 1024 * 1024
    /// Output owed across all connections; shared by the loops (see `OutputBudget`).
    public var outputBudget = OutputBudget(limitBytes: 256 * 1024 * 1024)
    public var corsOrigins: Set<String> = []
    /// Host names (lower case, no port) a request's Host header may name; nil accepts any.
    /// On a loopback bind this stops DNS rebinding: a page on evil.example that resolves
    /// its name to 127.0.0.1 still sends `Host: evil.example`.
    public var allowedHosts: Set<String>? = nil
    /// Told about every answered request on the loop thread that answered it (metrics).
    /// It must be cheap and must not block: it runs on the request's hot path.
    public var observer: (@Sendable (HTTPExchange) -> Void)? = nil
    public init() {}
}

/// One answered request, as the observer sees it. `routeIndex` is the matched route's
/// position in `Router.all` (-1 when no route matched: 404, 405, malformed requests), so an
/// observer can count by route pattern without hashing strings per request.
public struct HTTPExchange: Sendable {
    public var routeIndex: Int
    public var method: String
    public var status: Int
    public var durationNs: UInt64
}

/// What the authorizer is told about the route a request matched.
public struct AuthContext: Sendable {
    public var access: RouteAccess
    /// A WebSocket upgrade: the one place a token may travel in the query string
    /// (browsers cannot set headers on a WebSocket); elsewhere it would end up in logs.
    public var isUpgrade: Bool

    public init(access: RouteAccess, isUpgrade: Bool) {
        self.access = access; self.isUpgrade = isUpgrade
    }
}

/// Decides whether a request may use a route; returns the refusal (400/401/403) or nil.
public typealias Authorizer = @Sendable (HTTPRequest, AuthContext) -> HTTPResponse?

/// The HTTP/1.1 server: one or more epoll loops, each with its own SO_REUSEPORT listener
/// and the connections it accepted.
public final class HTTPServer: Sendable {
    public let options: HTTPServerOptions
    let router: Router
    let authorize: Authorizer
    let workers = DispatchQueue(label: "vitals.http.workers", qos: .userInitiated, attributes: .concurrent)
    private let state = Mutex<(loops: [HTTPServerLoop], threads: [pthread_t], port: Int)>(([], [], 0))
    let openConnections = Atomic<Int>(0)

    public init(options: HTTPServerOptions, router: Router, authorize: @escaping Authorizer) {
        self.options = options
        self.router = router
        self.authorize = authorize
    }

    public var port: Int { state.withLock { $0.port } }
    public var loops: [EventLoop] { state.withLock { $0.loops.map(\.loop) } }
    public var connectionCount: Int { openConnections.load(ordering: .relaxed) }
    /// Memory held by the connections' input and output buffers, summed at each loop's
    /// last sweep (twice a second): what idle connections cost, and what a backlog left.
    public var connectionBufferBytes: Int {
        state.withLock { s in s.loops.reduce(0) { $0 + $1.bufferBytes.load(ordering: .relaxed) } }
    }

    /// Binds and starts the loop threads; returns the bound port (useful with port 0).
    @discardableResult
    public func start() throws(SocketError) -> Int {
        var loops: [HTTPServerLoop] = []
        var port = options.port
        for i in 0..<options.ioThreads {
            let (fd, bound) = try ListenSocket.open(host: options.host, port: port, reusePort: options.ioThreads > 1)
            port = bound
            let loop = try EventLoop(name: "vitals-io-\(i)")
            loops.append(HTTPServerLoop(loop: loop, listenFd: fd, server: self))
        }
        var threads: [pthread_t] = []
        for l in loops {
            let bound = LoopBound(l)
            if let t = spawnThread(name: l.loop.name, { bound.value.run() }) { threads.append(t) }
        }
        state.withLock { $0 = (loops, threads, port) }
        return port
    }

    /// Stops accepting, closes every connection and joins the loop threads.
    public func stop() {
        let (loops, threads) = state.withLock { s -> ([HTTPServerLoop], [pthread_t]) in
            let r = (s.loops, s.threads)
            s.loops = []; s.threads = []
            return r
        }
        for l in loops { l.loop.stop() }
        for t in threads { pthread_join(t, nil) }
    }

    enum RouteOutcome {
        case respond(HTTPResponse)
        case worker(HTTPRequest, @Sendable (HTTPRequest) -> HTTPResponse)
        case upgrade(responseHead: [UInt8], makeProtocol: @Sendable (UpgradedTransport) -> UpgradedProtocol)
    }

    /// Host, route and auth checks: the matched route, or the answer that refuses the request.
    private enum Admission { case route(Route, HTTPRequest), refuse(HTTPResponse) }

    private func admit(_ request: HTTPRequest, routeIndex: inout Int) -> Admission {
        var req = request
        if let allowed = options.allowedHosts, let host = req.header("host"), !allowed.contains(Self.hostName(host)) {
            return .refuse(.error(403, .hostNotAllowed,
                                  "Host \(host) is not one this server answers to; add it to server.allowed_hosts if it is yours"))
        }
        if req.method == "OPTIONS" {
            return .refuse(options(req))
        }
        switch router.match(method: req.method, path: req.path) {
        case .notFound:
            return .refuse(.error(404, .notFound, "no route for \(req.path)"))
        case .methodNotAllowed(let allow):
            var r = HTTPResponse.error(405, .methodNotAllowed, "\(req.method) is not allowed on \(req.path); allowed: \(allow.joined(separator: ", "))")
            r.headers.append(("Allow", allow.joined(separator: ", ")))
            return .refuse(r)
        case .found(let route, let params):
            routeIndex = route.index
            req.pathParams = params
            var isUpgrade = false
            if case .upgrade = route.action { isUpgrade = true }
            if let refusal = authorize(req, AuthContext(access: route.access, isUpgrade: isUpgrade)) { return .refuse(refusal) }
            return .route(route, req)
        }
    }

    /// The answer to a request head that asked for `100 Continue`, when it is refused
    /// anyway (unknown route, no token): the client must not send its body for nothing,
    /// and an unauthenticated client must not be invited to upload.
    func refusalBeforeBody(_ head: HTTPRequest) -> HTTPResponse? {
        var ignored = -1
        if case .refuse(let r) = admit(head, routeIndex: &ignored) { return r }
        return nil
    }

    /// Routing, CORS preflight and auth, shared by every loop. `routeIndex` is set to the
    /// matched route's index in `Router.all` (left alone when none matched).
    func route(_ request: HTTPRequest, routeIndex: inout Int) -> RouteOutcome {
        switch admit(request, routeIndex: &routeIndex) {
        case .refuse(let r):
            return .respond(r)
        case .route(let route, let req):
            switch route.action {
            case .inline(let h): return .respond(h(req))
            case .worker(let h): return .worker(req, h)
            case .upgrade(let h):
                switch h(req) {
                case .reject(let r): return .respond(r)
                case .accept(let head, let make): return .upgrade(responseHead: head, makeProtocol: make)
                }
            }
        }
    }

    /// The host part of a Host header, lower-cased: "LocalHost:8089" → "localhost", "[::1]:80" → "[::1]".
    static func hostName(_ host: String) -> String {
        let h = host.lowercased()
        if h.hasPrefix("[") { return h.firstIndex(of: "]").map { String(h[...$0]) } ?? h }
        if let colon = h.lastIndex(of: ":") { return String(h[..<colon]) }
        return h
    }

    /// OPTIONS: a CORS preflight from an allowed origin, or the Allow list.
    private func options(_ req: HTTPRequest) -> HTTPResponse {
        let allow: [String]
        if req.path == "*" {
            allow = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]
        } else if let a = router.methods(for: req.path) {
            allow = a
        } else {
            return .error(404, .notFound, "no route for \(req.path)")
        }
        if let origin = req.header("origin"), let wanted = req.header("access-control-request-method") {
            guard options.corsOrigins.contains(origin) else {
                return .error(403, .originNotAllowed, "origin \(origin) is not in server.cors_origins")
            }
            guard allow.contains(wanted) else {
                return .error(405, .methodNotAllowed, "\(wanted) is not allowed on \(req.path)")
            }
            return HTTPResponse(status: 204, headers: [
                ("Access-Control-Allow-Methods", allow.joined(separator: ", ")),
                ("Access-Control-Allow-Headers", "Authorization, Content-Type"),
                ("Access-Control-Max-Age", "600"),
            ], noStore: false)
        }
        return HTTPResponse(status: 204, headers: [("Allow", allow.joined(separator: ", "))], noStore: false)
    }
}

/// The part of the server that lives on one loop thread.
/// @unchecked Sendable: the server keeps a list of these to stop them; every mutable field
/// is touched only on `loop`'s own thread.
final class HTTPServerLoop: EventLoopHandler, @unchecked Sendable {
    let loop: EventLoop
    let listenFd: Int32
    unowned let server: HTTPServer
    private var connections: [Int32: HTTPConnection] = [:]
    private var acceptPaused = false
    /// What this loop's connections hold in buffers, as of the last sweep.
    let bufferBytes = Atomic<Int>(0)
    private var cachedDateSecond: Int = -1
    private var cachedDate = ""
    /// Read buffer shared by this loop's upgraded connections (see HTTPConnection.readUpgraded).
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var options: HTTPServerOptions { server.options }
    /// Kept apart so the per-request check does not copy the whole options struct.
    let observer: (@Sendable (HTTPExchange) -> Void)?
    var workers: DispatchQueue { server.workers }
    let outputBudget: OutputBudget

    private var lastTrimMs: Int64 = 0

    init(loop: EventLoop, listenFd: Int32, server: HTTPServer) {
        self.loop = loop
        self.listenFd = listenFd
        self.server = server
        self.observer = server.options.observer
        self.outputBudget = server.options.outputBudget
    }

    deinit { scratch.deallocate() }

    func run() {
        loop.register(fd: listenFd, events: EPOLLIN.rawValue, handler: self)
        loop.every(ms: 500) { [unowned self] in
            let now = loop.nowMs
            if acceptPaused {
                acceptPaused = false
                loop.modify(fd: listenFd, events: EPOLLIN.rawValue)
            }
            var held = 0
            for c in Array(connections.values) {
                c.sweep(nowMs: now)
                held += c.bufferBytes
            }
            bufferBytes.store(held, ordering: .relaxed)
            // Free heap goes back to the system after a burst of unread output, and once a
            // minute in any case: glibc returns only the top of a heap by itself, so pages
            // freed inside it (answers sent, caches replaced) stayed resident.
            if outputBudget.takeMemoryToReturn() || now - lastTrimMs >= 60_000 {
                lastTrimMs = now
                malloc_trim(0)
            }
        }
        loop.run()
        // Shutting down: close everything this loop owns, WebSocket clients with 1001.
        for c in Array(connections.values) { c.closeForShutdown() }
        loop.deregister(fd: listenFd)
        close(listenFd)
    }

    private static let tooManyConnections: [UInt8] = {
        let body = #"{"error":{"code":""# + ErrorCode.tooManyConnections.rawValue + #"","message":"connection limit reached, try again later"}}"#
        return Array("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n\(body)".utf8)
    }()

    /// The listening socket is readable: accept until the backlog is empty.
    func handleEvents(_ events: UInt32) {
        while true {
            var ss = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &ss) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept4(listenFd, $0, &len, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE {
                    // The backlog stays readable, so a level-triggered listener would spin:
                    // stop listening until the next sweep (~0.5 s); one log line per pause.
                    loop.modify(fd: listenFd, events: 0)
                    acceptPaused = true
                    Log.warn("accept paused: out of file descriptors", ["open": server.connectionCount])
                }
                return
            }
            // Add first, then check: with several loops a load-then-add could overshoot the cap.
            if server.openConnections.add(1, ordering: .relaxed).newValue > options.maxConnections
                && !closeLongestIdle() {
                server.openConnections.subtract(1, ordering: .relaxed)
                _ = Self.tooManyConnections.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(fd)
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let conn = HTTPConnection(fd: fd, peer: describePeer(ss), loop: loop, server: self)
            connections[fd] = conn
            loop.register(fd: fd, events: HTTPConnection.initialEvents, handler: conn)
        }
    }

    /// Closes this loop's longest-idle keep-alive connection; false when none is idle.
    /// A scan, but only at the cap, where refusing would cost the client far more.
    private func closeLongestIdle() -> Bool {
        var oldest: (HTTPConnection, Int64)?
        for c in connections.values {
            if let since = c.idleKeepAliveSinceMs, since < (oldest?.1 ?? .max) { oldest = (c, since) }
        }
        guard let (victim, _) = oldest else { return false }
        victim.close(flush: false)
        return true
    }

    func route(_ req: HTTPRequest, routeIndex: inout Int) -> HTTPServer.RouteOutcome {
        server.route(req, routeIndex: &routeIndex)
    }

    func refusalBeforeBody(_ head: HTTPRequest) -> HTTPResponse? { server.refusalBeforeBody(head) }

    func connectionClosed(_ c: HTTPConnection) {
        if connections.removeValue(forKey: c.fd) != nil {
            server.openConnections.subtract(1, ordering: .relaxed)
        }
    }


    /// The Date header, formatted once per second.
    func dateHeader() -> String {
        let now = time(nil)
        if Int(now) != cachedDateSecond {
            cachedDateSecond = Int(now)
            cachedDate = TimeFormat.httpDate(seconds: Int64(now))
        }
        return cachedDate
    }
}
