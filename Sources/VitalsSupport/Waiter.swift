import Glibc

/// Sleeps until a wall-clock deadline or until woken (for prompt shutdown).
/// pthread condition variables wait on CLOCK_REALTIME by default, which is what
/// wall-clock-aligned ticks want.
public final class Waiter: @unchecked Sendable {
    // @unchecked: the pthread mutex guards `woken`; the objects are heap-allocated once.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var woken = false

    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
    }

    /// Returns true if woken before the deadline.
    public func wait(untilWallMs deadline: Int64) -> Bool {
        var ts = timespec(tv_sec: Int(deadline / 1000), tv_nsec: Int(deadline % 1000) * 1_000_000)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !woken {
            let rc = pthread_cond_timedwait(cond, mutex, &ts)
            if rc == ETIMEDOUT { return false }
        }
        return true
    }

    public func wake() {
        pthread_mutex_lock(mutex)
        woken = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }
}
