import Glibc
import Synchronization
import VitalsSupport
import VitalsCore

/// systemd's watchdog (`WatchdogSec=` in the unit): `WATCHDOG=1` every half period, but
/// only while the sampler is ticking, so a stalled sampler gets the daemon restarted
/// rather than serving stale figures forever. Each ping also refreshes `STATUS=`, the
/// line `systemctl status vitals` shows.
public final class SystemdWatchdog: @unchecked Sendable {
    // @unchecked: `thread` is written by start/stop on the caller's thread only.
    private let socketPath: String
    private let periodMs: Int64
    private let isTicking: @Sendable () -> Bool
    private let status: @Sendable () -> String
    private let waiter = Waiter()
    private let running = Atomic<Bool>(false)
    private var thread: pthread_t?

    public init(socketPath: String, periodMs: Int64, isTicking: @escaping @Sendable () -> Bool,
                status: @escaping @Sendable () -> String) {
        self.socketPath = socketPath
        self.periodMs = max(2, periodMs)
        self.isTicking = isTicking
        self.status = status
    }

    /// From the environment systemd gives a `Type=notify` service with `WatchdogSec=`:
    /// NOTIFY_SOCKET, WATCHDOG_USEC, and WATCHDOG_PID when it is meant for this process.
    public static func periodFromEnvironment() -> (socket: String, periodMs: Int64)? {
        guard let socket = getenv("NOTIFY_SOCKET").map({ String(cString: $0) }), !socket.isEmpty,
              let usec = getenv("WATCHDOG_USEC").flatMap({ Int64(String(cString: $0)) }), usec > 0 else { return nil }
        if let pid = getenv("WATCHDOG_PID").flatMap({ Int32(String(cString: $0)) }), pid != getpid() { return nil }
        return (socket, usec / 1000)
    }

    public func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread = spawnThread(name: "vitals-watchdog") { [self] in run() }
    }

    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        waiter.wake()
        if let t = thread { pthread_join(t, nil) }
        thread = nil
    }

    private func run() {
        var wasTicking = true
        // The first ping after half a period: READY=1 (sent once the listener serves) comes first.
        while running.load(ordering: .acquiring) {
            if waiter.wait(untilWallMs: Clock.wallMs() + periodMs / 2) { break }
            let ticking = isTicking()
            if ticking {
                SystemdNotify.send("WATCHDOG=1\nSTATUS=" + status(), socketPath: socketPath)
            } else if wasTicking {
                // No ping: systemd restarts us after WatchdogSec. Say why, once.
                SystemdNotify.send("STATUS=sampler stalled; no watchdog ping", socketPath: socketPath)
                Log.error("sampler stalled; watchdog pings stopped", ["watchdog_ms": periodMs])
            }
            wasTicking = ticking
        }
    }
}
