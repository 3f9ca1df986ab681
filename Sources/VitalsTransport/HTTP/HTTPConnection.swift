import VitalsSupport
import Glibc
import CLinux

/// One accepted socket, owned by one loop thread. Speaks HTTP/1.1 (keep-alive, pipelining
/// answered in order) until an upgrade hands the socket to another protocol.
final class HTTPConnection: EventLoopHandler, UpgradedTransport {
    let fd: Int32
    let loop: EventLoop
    let peer: String
    private unowned let server: HTTPServerLoop
    private var input = ByteBuffer(capacity: 4096)
    private var output = ByteBuffer()
    /// How much of `output` is counted in the server's `OutputBudget` (see `account`).
    private var accountedBytes = 0
    private var parser: HTTPParser
    /// A worker is computing the response to the request in front; later pipelined
    /// requests wait so that responses leave in request order.
    private var awaitingWorker = false
    private var sentContinue = false
    /// The request being answered is HTTP/1.0: keep-alive must then be said explicitly.
    private var http10 = false
    private var closeWhenFlushed = false
    /// A response said `Connection: close` (or the request was malformed): parse nothing more.
    private var stopParsing = false
    private var readShutdown = false
    private var writeInterest = false
    /// What the server registers a new connection for: reading.
    static let initialEvents = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
    /// The events epoll has for this socket now.
    private var registeredEvents = HTTPConnection.initialEvents
    /// Set by `closeGracefully`: when the socket is closed whatever happens.
    private var lingerDeadlineMs: Int64?
    private var sentFin = false
    private(set) var isClosed = false
    private var upgraded: UpgradedProtocol?
    private var lastActivityMs: Int64
    /// Last time the kernel took output from us: a peer that reads nothing for the
    /// keep-alive timeout while we owe it bytes is dropped.
    private var lastWriteProgressMs: Int64
    private var requestStartedMs: Int64?
    /// How long a closing connection waits for the peer's FIN after ours.
    private static let lingerMs: Int64 = 1_000

    init(fd: Int32, peer: String, loop: EventLoop, server: HTTPServerLoop) {
        self.fd = fd
        self.peer = peer
        self.loop = loop
        self.server = server
        self.parser = HTTPParser(maxHeaderBytes: server.options.maxHeaderBytes, maxBodyBytes: server.options.maxBodyBytes)
        self.lastActivityMs = loop.nowMs
        self.lastWriteProgressMs = loop.nowMs
        // The first request is timed from the connect: a socket that sends nothing gets
        // the header timeout, not the (longer) keep-alive one.
        self.requestStartedMs = loop.nowMs
    }

    /// Since when this connection has sat between requests with nothing owed either way;
    /// nil while it is busy, upgraded or closing. At the connection cap the longest idle
    /// one makes room for a new client, as nginx reuses its keep-alive connections.
    var idleKeepAliveSinceMs: Int64? {
        guard !isClosed, upgraded == nil, !awaitingWorker, lingerDeadlineMs == nil, requestStartedMs == nil,
              input.isEmpty, output.isEmpty else { return nil }
        return lastActivityMs
    }

    /// Bytes of unparsed input we are willing to hold: one whole request at the limits.
    private var inputLimit: Int { server.options.maxHeaderBytes + server.options.maxBodyBytes + 65_536 }

    /// Reading stops while the peer is not taking its answers or has sent more than one
    /// request can hold; level-triggered EPOLLIN would otherwise grow the buffers without bound.
    private var readPaused: Bool {
        upgraded == nil && lingerDeadlineMs == nil && (overOutputShare || input.readableCount > inputLimit)
    }

    /// This connection may not add another answer: it owes more than its own bound, or it
    /// owes anything while all connections together are at the total bound. A client that
    /// reads drains to zero and goes on; one that never reads keeps at most one answer.
    private var overOutputShare: Bool {
        let owed = output.readableCount
        return owed > server.options.maxConnectionOutputBytes || (owed > 0 && server.outputBudget.isExhausted)
    }

    /// Brings the shared budget in line with what this connection owes now.
    private func account() {
        let owed = output.readableCount
        if owed != accountedBytes {
            server.outputBudget.add(owed - accountedBytes)
            accountedBytes = owed
        }
    }

    var pendingOutputBytes: Int { output.readableCount }

    // MARK: events

    func handleEvents(_ events: UInt32) {
        // HUP (both directions shut) and ERR (reset) cannot be masked and nothing more can be
        // delivered: close, or the level-triggered loop would spin on them.
        if events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { close(flush: false); return }
        if events & EPOLLOUT.rawValue != 0 { writable() }
        if isClosed { return }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 {
            readAvailable()
        }
    }

    private func readAvailable() {
        guard !readShutdown else { return }
        if let upgraded { readUpgraded(upgraded); return }
        if lingerDeadlineMs != nil { discardInput(); return }
        let fd = self.fd
        while true {
            let n = input.writeWithUnsafeTail(minimum: 16 * 1024) { tail in
                recv(fd, tail.baseAddress, tail.count, 0)
            }
            if n > 0 {
                lastActivityMs = loop.nowMs
                if n < 16 * 1024 || input.readableCount > inputLimit { break }
                continue
            }
            if n == 0 {
                // Peer finished sending. Answer what is buffered, then close.
                readShutdown = true
                updateInterest()
                if upgraded == nil && !awaitingWorker && output.isEmpty && input.isEmpty { close(flush: false); return }
                closeWhenFlushed = true
                break
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            close(flush: false)
            return
        }
        processRequests()
        if readShutdown && !awaitingWorker && output.isEmpty && !isClosed { close(flush: false) }
        updateInterest()
    }

    /// While lingering: read and drop whatever the peer still sends, until its FIN.
    private func discardInput() {
        let scratch = server.scratch
        guard let base = scratch.baseAddress else { return }
        for _ in 0..<16 {
            let n = recv(fd, base, scratch.count, 0)
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            close(flush: false) // EOF or error: the peer is done
            return
        }
    }

    /// Upgraded connections read into the loop's shared scratch buffer and hand the bytes
    /// straight to the protocol, which copies what it keeps: an idle WebSocket then holds
    /// no input buffer of its own (16 KiB each would be 160 MB at 10,000 subscribers).
    private func readUpgraded(_ proto: UpgradedProtocol) {
        let scratch = server.scratch
        guard let base = scratch.baseAddress else { return }
        // A bounded number of reads per wake-up: one fast sender cannot starve the loop.
        for _ in 0..<16 {
            if isClosed { return }
            let n = recv(fd, base, scratch.count, 0)
            if n > 0 {
                lastActivityMs = loop.nowMs
                if lingerDeadlineMs == nil {
                    proto.received(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: n))
                }
                if n < scratch.count { return }
                continue
            }
            if n == 0 {
                // The peer will send nothing more: write what is owed, then close (at
                // the latest after the linger time if the peer does not read it either).
                readShutdown = true
                updateInterest()
                if lingerDeadlineMs == nil { lingerDeadlineMs = loop.nowMs + 2_000 }
                flush()
                return
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return }
            close(flush: false)
            return
        }
    }

    // MARK: HTTP

    private func processRequests() {
        while !awaitingWorker && !isClosed && upgraded == nil && !stopParsing {
            if overOutputShare {
                // Hold the next requests (and start no worker) until the client reads. If
                // the kernel takes it all now, no EPOLLOUT and maybe no new input will come
                // to wake us: go on.
                flush()
                if isClosed || overOutputShare { break }
                continue
            }
            if input.isEmpty {
                requestStartedMs = nil
                input.shrinkIfIdle(above: 64 * 1024)  // a large upload is done: give it back
                break
            }
            let result = input.withReadable { parser.parse($0) }
            switch result {
            case .incomplete(let continueFor):
                if requestStartedMs == nil { requestStartedMs = loop.nowMs }
                if let head = continueFor, !sentContinue {
                    sentContinue = true
                    if let refusal = server.refusalBeforeBody(head) {
                        // Answered without reading the body; the connection cannot be
                        // reused since the body's bytes may still follow.
                        input.consume(input.readableCount)
                        http10 = head.minorVersion == 0
                        writeResponse(refusal, head: head.method == "HEAD", keepAlive: false, origin: head.header("origin"))
                        flush()
                        return
                    }
                    output.append("HTTP/1.1 100 Continue\r\n\r\n")
                }
                flush()
                return
            case .failure(let status, let message):
                input.consume(input.readableCount)
                http10 = false
                writeResponse(HTTPResponse.error(status, Self.errorCode(status), message), head: false, keepAlive: false, origin: nil)
                // Malformed requests count too (route -1): a flood of them should show in metrics.
                observe(routeIndex: -1, method: "", status: status, startedNs: observerClock())
                flush()
                return
            case .request(var req, let consumed):
                input.consume(consumed)
                requestStartedMs = nil
                sentContinue = false
                req.remoteAddress = peer
                dispatch(req)
            }
        }
        flush()
    }

    private func dispatch(_ req: HTTPRequest) {
        let keepAlive = req.keepAlive && !readShutdown
        let head = req.method == "HEAD"
        let origin = req.header("origin")
        http10 = req.minorVersion == 0
        let startedNs = observerClock()
        var routeIndex = -1
        switch server.route(req, routeIndex: &routeIndex) {
        case .respond(let resp):
            writeResponse(resp, head: head, keepAlive: keepAlive, origin: origin)
            observe(routeIndex: routeIndex, method: req.method, status: resp.status, startedNs: startedNs)
        case .worker(let req, let handler):
            awaitingWorker = true
            let me = LoopBound(self)
            let loop = self.loop
            let routeIndex = routeIndex
            let budget = server.outputBudget
            server.workers.async {
                let resp = handler(req)
                // The answer is memory owed to a client from now on, even before the loop
                // queues it: it counts against the total bound while it waits.
                let held = resp.body.count
                budget.add(held)
                loop.execute {
                    me.value.workerFinished(resp, head: head, keepAlive: keepAlive, origin: origin)
                    budget.add(-held)
                    me.value.observe(routeIndex: routeIndex, method: req.method, status: resp.status, startedNs: startedNs)
                }
            }
        case .upgrade(let responseHead, let makeProtocol):
            observe(routeIndex: routeIndex, method: req.method, status: 101, startedNs: startedNs)
            output.append(responseHead)
            let proto = makeProtocol(self)
            upgraded = proto
            flush()
            if !input.isEmpty && !isClosed {
                input.withReadable { proto.received($0) }
                input.consume(input.readableCount)
            }
            // From here on reads go through the loop's scratch buffer (readUpgraded).
            input = ByteBuffer()
        }
    }

    private func workerFinished(_ resp: HTTPResponse, head: Bool, keepAlive: Bool, origin: String?) {
        guard !isClosed else { return }
        awaitingWorker = false
        writeResponse(resp, head: head, keepAlive: keepAlive, origin: origin)
        processRequests()
        if readShutdown && !awaitingWorker && output.isEmpty && !isClosed { close(flush: false) }
    }

    private func writeResponse(_ r: HTTPResponse, head: Bool, keepAlive: Bool, origin: String?) {
        output.append("HTTP/1.1 ")
        output.append(String(r.status))
        output.append(" ")
        output.append(HTTPResponse.reason(r.status))
        output.append("\r\nDate: ")
        output.append(server.dateHeader())
        if let ct = r.contentType {
            output.append("\r\nContent-Type: ")
            output.append(ct)
        }
        // RFC 9110 8.6: never on a 204; on a 304 it would have to be the 200's length.
        if r.status != 204 && r.status != 304 {
            output.append("\r\nContent-Length: ")
            output.append(String(r.body.count))
        }
        if r.noStore { output.append("\r\nCache-Control: no-store") }
        if let origin, server.options.corsOrigins.contains(origin) {
            output.append("\r\nAccess-Control-Allow-Origin: ")
            output.append(origin)
            output.append("\r\nVary: Origin")
        }
        for (k, v) in r.headers {
            output.append("\r\n")
            output.append(k)
            output.append(": ")
            output.append(v)
        }
        output.append(keepAlive ? (http10 ? "\r\nConnection: keep-alive\r\n\r\n" : "\r\n\r\n") : "\r\nConnection: close\r\n\r\n")
        if !head { appendBody(r.body) }
        account()
        if !keepAlive { closeWhenFlushed = true; stopParsing = true }
    }

    /// Bodies from this size on leave from the response's own bytes: cached answers (the
    /// `/metrics` exposition, ~15 KB) are shared by every request, and copying them into
    /// `output` per request was most of what they cost above a small answer.
    static let directBodyBytes = 4096

    /// Sends what is buffered and `body` in one sendmsg, without copying the body into
    /// `output`; only what the kernel does not take is buffered. Smaller bodies, and any
    /// while the socket is known to be full, are buffered as before (one send later).
    private func appendBody(_ body: [UInt8]) {
        guard body.count >= Self.directBodyBytes, !writeInterest, !isClosed else { output.append(body); return }
        let fd = self.fd
        let headCount = output.readableCount
        let (sent, error): (Int, Int32) = output.withReadable { head in
            body.withUnsafeBufferPointer { b in
                var iov = (iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress), iov_len: head.count),
                           iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count))
                return withUnsafeMutablePointer(to: &iov) { p in
                    p.withMemoryRebound(to: iovec.self, capacity: 2) { vec in
                        var msg = msghdr()
                        msg.msg_iov = vec
                        msg.msg_iovlen = 2
                        while true {
                            let n = sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
                            if n < 0 && errno == EINTR { continue }
                            return (n, n < 0 ? errno : 0)
                        }
                    }
                }
            }
        }
        // Whatever the kernel did not take is buffered. Once it is full, later answers are
        // buffered too until EPOLLOUT (no sendmsg bound to fail); another error is met
        // again by flush(), which closes, as for any other answer.
        if sent < 0 {
            output.append(body)
            if error == EAGAIN || error == EWOULDBLOCK { setWriteInterest(true) }
            return
        }
        if sent > 0 { lastWriteProgressMs = loop.nowMs }
        if sent < headCount {
            output.consume(sent)
            output.append(body)
        } else {
            output.consume(headCount)
            let bodySent = sent - headCount
            guard bodySent < body.count else { return }
            output.append(body[bodySent...])
        }
        setWriteInterest(true)
    }

    /// The clock read only when someone observes: no system call per request otherwise.
    private func observerClock() -> UInt64 {
        server.observer == nil ? 0 : Clock.monotonicNs()
    }

    fileprivate func observe(routeIndex: Int, method: String, status: Int, startedNs: UInt64) {
        guard let observer = server.observer else { return }
        observer(HTTPExchange(routeIndex: routeIndex, method: method, status: status,
                              durationNs: Clock.monotonicNs() &- startedNs))
    }

    static func errorCode(_ status: Int) -> ErrorCode {
        switch status {
        case 400: return .badRequest
        case 408: return .requestTimeout
        case 413: return .bodyTooLarge
        case 417: return .expectationFailed
        case 431: return .headersTooLarge
        case 501: return .notImplemented
        case 505: return .httpVersionNotSupported
        default: return .error
        }
    }

    // MARK: output

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { send($0) }
    }

    func send(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosed, bytes.count > 0 else { return }
        if output.isEmpty {
            // Fast path: straight to the kernel, buffer only what it did not take.
            var off = 0
            while off < bytes.count {
                let n = Glibc.send(fd, bytes.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL))
                if n > 0 { off += n; lastWriteProgressMs = loop.nowMs; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
                close(flush: false)
                return
            }
            if off < bytes.count {
                output.append(UnsafeRawBufferPointer(rebasing: bytes[off...]))
                account()
                setWriteInterest(true)
            }
        } else {
            output.append(bytes)
            account()
        }
    }

    var socketFd: Int32 { fd }

    func completeOutsideSend(_ bytes: UnsafeRawBufferPointer, result: Int, error: Int32) {
        guard !isClosed else { return }
        if result == bytes.count { lastWriteProgressMs = loop.nowMs; return }
        if result < 0 && error != EAGAIN && error != EWOULDBLOCK && error != EINTR {
            close(flush: false)
            return
        }
        let taken = max(0, result)
        if taken > 0 { lastWriteProgressMs = loop.nowMs }
        output.append(UnsafeRawBufferPointer(rebasing: bytes[taken...]))
        account()
        setWriteInterest(true)
    }

    private func flush() {
        guard !isClosed else { return }
        let fd = self.fd
        defer { account() }
        while !output.isEmpty {
            let n = output.withReadable { p in Glibc.send(fd, p.baseAddress, p.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { output.consume(n); lastWriteProgressMs = loop.nowMs; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                setWriteInterest(true)
                return
            }
            close(flush: false)
            return
        }
        setWriteInterest(false)
        output.shrinkIfIdle(above: 256 * 1024)
        if closeWhenFlushed && !awaitingWorker && lingerDeadlineMs == nil {
            // Everything owed is written. If the peer already sent its FIN, close now;
            // otherwise half-close and drain: closing with unread input would send an RST
            // that can destroy our last response before the peer reads it.
            if readShutdown { close(flush: false); return }
            lingerDeadlineMs = loop.nowMs + Self.lingerMs
            input = ByteBuffer()
        }
        if lingerDeadlineMs != nil {
            if !sentFin {
                sentFin = true
                shutdown(fd, Int32(SHUT_WR))
            }
            if readShutdown { close(flush: false) }
        }
    }

    /// The kernel took our backlog: let the upgraded protocol send more, or resume
    /// pipelined requests that were held back while output was over its bound.
    private func writable() {
        flush()
        guard !isClosed, output.isEmpty else { return }
        if let upgraded {
            upgraded.outputDrained()
        } else if !input.isEmpty && !awaitingWorker {
            processRequests()
        }
        updateInterest()
    }

    private func setWriteInterest(_ on: Bool) {
        guard on != writeInterest, !isClosed else { return }
        writeInterest = on
        updateInterest()
    }

    /// Once the peer's side is shut, input readiness is level-triggered forever: stop
    /// asking for it (HUP and ERR still arrive) so the loop does not spin.
    private func updateInterest() {
        guard !isClosed else { return }
        let read = readShutdown || readPaused ? 0 : EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        let events = writeInterest ? read | EPOLLOUT.rawValue : read
        // Called after every read: an epoll_ctl only when the interest changes, not one
        // per request (it was ~4% of the I/O thread under load).
        guard events != registeredEvents else { return }
        registeredEvents = events
        loop.modify(fd: fd, events: events)
    }

    /// Server shutdown: an upgraded protocol says goodbye, what the kernel takes now is
    /// sent (no waiting: shutdown must not hang on a client that does not read), then FIN.
    func closeForShutdown() {
        guard !isClosed else { return }
        upgraded?.serverStopping()
        if isClosed { return }
        flush()
        if isClosed { return }
        if !sentFin { sentFin = true; shutdown(fd, Int32(SHUT_WR)) }
        close(flush: false)
    }

    func closeGracefully(lingerMs: Int64) {
        guard !isClosed, lingerDeadlineMs == nil else { return }
        lingerDeadlineMs = loop.nowMs + lingerMs
        flush()
    }

    func close(flush: Bool) {
        guard !isClosed else { return }
        if flush && !output.isEmpty {
            closeWhenFlushed = true
            self.flush()
            return
        }
        isClosed = true
        // What it owed is gone with it: release it from the total and the memory now (a
        // closure on a worker may keep this object alive a while longer).
        output = ByteBuffer()
        input = ByteBuffer()
        account()
        loop.deregister(fd: fd)
        Glibc.close(fd)
        server.connectionClosed(self)
        upgraded?.closed()
        upgraded = nil
    }

    // MARK: timeouts

    /// Bytes held by this connection's input and output buffers (their capacity).
    var bufferBytes: Int { input.capacity + output.capacity }

    /// Called about twice a second: slow requests get 408, idle keep-alive sockets are closed.
    func sweep(nowMs: Int64) {
        if let deadline = lingerDeadlineMs {
            if nowMs >= deadline { close(flush: false) }
            return
        }
        if !output.isEmpty && nowMs - lastWriteProgressMs > Int64(server.options.keepAliveTimeoutMs) {
            close(flush: false) // owed bytes the peer has not taken for a whole keep-alive period
            return
        }
        // A drained output buffer is given back here, at most every sweep (not after each
        // flush, where the next answer would grow it again). Answers and WebSocket frames
        // are written straight from their own bytes, so the buffer exists only after a
        // client fell behind. Kept, each of the soak's 1,000 WebSocket clients that fell
        // behind once held 4-8 KB (256 KB before that) for good, and the heap crept up for
        // most of an hour as more of them did.
        output.shrinkIfIdle(above: 0, keep: 0)
        if let upgraded { upgraded.tick(nowMs: nowMs); return }
        if awaitingWorker { return }
        if !output.isEmpty && !overOutputShare {
            // Held back by the total bound, which others have since freed: EPOLLOUT will
            // not come while this client does not read, so resume pending requests here.
            processRequests()
            if isClosed { return }
            updateInterest()
        }
        if let started = requestStartedMs, nowMs - started > Int64(server.options.headerTimeoutMs) {
            input.consume(input.readableCount)
            requestStartedMs = nil
            stopParsing = true
            http10 = false
            writeResponse(HTTPResponse.error(408, .requestTimeout, "request not received within \(server.options.headerTimeoutMs) ms"),
                          head: false, keepAlive: false, origin: nil)
            flush()
            return
        }
        if requestStartedMs == nil && input.isEmpty && output.isEmpty
            && nowMs - lastActivityMs > Int64(server.options.keepAliveTimeoutMs) {
            close(flush: false)
        }
    }
}
