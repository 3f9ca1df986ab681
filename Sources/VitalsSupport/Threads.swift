import Glibc
import CLinux

/// Carries a thread-owned object through a `@Sendable` closure. Sound only because the
/// closure runs on that object's own thread (an event loop's `execute`, for instance).
public struct LoopBound<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// Starts a named thread running `body`. Foundation's Thread is not in FoundationEssentials.
public func spawnThread(name: String, _ body: @escaping @Sendable () -> Void) -> pthread_t? {
    let box = Unmanaged.passRetained(ThreadStart(body, name)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { arg in
        let box = Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue()
        _ = pthread_setname_np(pthread_self(), String(box.name.prefix(15)))
        box.body()
        return nil
    }, box)
    if rc != 0 {
        Unmanaged<ThreadStart>.fromOpaque(box).release()
        return nil
    }
    return tid
}

private final class ThreadStart: Sendable {
    let body: @Sendable () -> Void
    let name: String
    init(_ body: @escaping @Sendable () -> Void, _ name: String) { self.body = body; self.name = name }
}
