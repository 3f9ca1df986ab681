import VitalsSupport
import Glibc
import CLinux
import Synchronization

/// Something registered with an event loop for readiness on one file descriptor.
protocol EventLoopHandler: AnyObject {
    func handleEvents(_ events: UInt32)
}

/// One epoll thread. It owns every handler registered with it; other threads reach it only
/// through `execute`, which queues a closure and wakes the loop with an eventfd.
public final class EventLoop: @unchecked Sendable {
    // @unchecked: `handlers`, `periodic`, `timers` and `nowMs` are touched only on the loop thread;
    // `inbox` and `stopRequested` are the thread-safe doorway.
    private let epfd: Int32
    private let wakeFd: Int32
    private var handlers: [EventLoopHandler?] = []
    private let inbox = Mutex<[@Sendable () -> Void]>([])
    private let stopRequested = Atomic<Bool>(false)
    private var periodic: [(everyMs: Int64, next: Int64, body: () -> Void)] = []
    /// One-shot timers (`after`), few at a time.
    private var timers: [(at: Int64, body: () -> Void)] = []
    private(set) var nowMs: Int64 = Clock.monotonicMs()
    let name: String

    init(name: String) throws(SocketError) {
        self.name = name
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SocketError("epoll_create1") }
        wakeFd = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFd >= 0 else { close(epfd); throw SocketError("eventfd") }
        var ev = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64(wakeFd)))
        epoll_ctl(epfd, EPOLL_CTL_ADD, wakeFd, &ev)
    }

    deinit {
        close(wakeFd)
        close(epfd)
    }

    // MARK: registration (loop thread only)

    func register(fd: Int32, events: UInt32, handler: EventLoopHandler) {
        if Int(fd) >= handlers.count { handlers.append(contentsOf: repeatElement(nil, count: Int(fd) + 1 - handlers.count + 64)) }
        handlers[Int(fd)] = handler
        var ev = epoll_event(events: events, data: epoll_data_t(u64: UInt64(fd)))
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev)
    }

    func modify(fd: Int32, events: UInt32) {
        var ev = epoll_event(events: events, data: epoll_data_t(u64: UInt64(fd)))
        epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    func deregister(fd: Int32) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    /// Runs `body` on the loop thread about every `everyMs` (timeouts, heartbeats).
    func every(ms: Int64, _ body: @escaping () -> Void) {
        periodic.append((ms, nowMs + ms, body))
    }

    /// Runs `body` once on the loop thread, `ms` from now. Loop thread only.
    func after(ms: Int64, _ body: @escaping () -> Void) {
        timers.append((Clock.monotonicMs() + ms, body))
    }

    // MARK: cross-thread

    /// Queues `task` to run on the loop thread; safe from any thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = inbox.withLock { q -> Bool in
            q.append(task)
            return q.count == 1
        }
        if wasEmpty { wake() }
    }

    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFd, &one, 8)
    }

    // MARK: the loop

    func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while !stopRequested.load(ordering: .acquiring) {
            let timeout = nextTimeoutMs()
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epfd, $0.baseAddress, Int32($0.count), timeout) }
            nowMs = Clock.monotonicMs()
            if n < 0 {
                if errno == EINTR { continue }
                Log.error("epoll_wait failed", ["loop": name, "error": String(cString: strerror(errno))])
                break
            }
            for i in 0..<Int(n) {
                let fd = Int32(truncatingIfNeeded: events[i].data.u64)
                if fd == wakeFd {
                    var v: UInt64 = 0
                    _ = read(wakeFd, &v, 8)
                    continue
                }
                if Int(fd) < handlers.count, let h = handlers[Int(fd)] {
                    h.handleEvents(events[i].events)
                }
            }
            drainInbox()
            runDue()
        }
        drainInbox()
    }

    private func drainInbox() {
        while true {
            let tasks = inbox.withLock { q -> [@Sendable () -> Void] in
                let t = q
                q.removeAll(keepingCapacity: true)
                return t
            }
            if tasks.isEmpty { return }
            for t in tasks { t() }
        }
    }

    private func nextTimeoutMs() -> Int32 {
        let next = min(periodic.map(\.next).min() ?? Int64.max, timers.map(\.at).min() ?? Int64.max)
        guard next != Int64.max else { return 1000 }
        return Int32(max(0, min(1000, next - Clock.monotonicMs())))
    }

    private func runDue() {
        for i in periodic.indices where periodic[i].next <= nowMs {
            periodic[i].next = nowMs + periodic[i].everyMs
            periodic[i].body()
        }
        // One pass that splits due from waiting, in the order they were set; a timer set by
        // a body that runs now waits for the next wake-up.
        guard timers.contains(where: { $0.at <= nowMs }) else { return }
        var due: [(at: Int64, body: () -> Void)] = []
        var waiting: [(at: Int64, body: () -> Void)] = []
        for t in timers { if t.at <= nowMs { due.append(t) } else { waiting.append(t) } }
        timers = waiting
        for t in due { t.body() }
    }
}
