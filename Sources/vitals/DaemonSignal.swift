import Glibc

/// The signals the daemon takes itself (with sigwait on the main thread) instead of
/// leaving them their default action, which is to die on the spot.
enum DaemonSignal {
    static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM]

    /// SIGINT and SIGTERM stop the daemon in order; the others are logged and ignored.
    static func stops(_ signal: Int32) -> Bool { signal == SIGINT || signal == SIGTERM }

    static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGUSR1: return "SIGUSR1"
        case SIGUSR2: return "SIGUSR2"
        case SIGALRM: return "SIGALRM"
        default: return "signal \(signal)"
        }
    }
}
