import VitalsTransport
import VitalsCore

/// The history database as routes see it: the store, or why it could not be opened.
struct HistoryAccess: Sendable {
    let store: HistoryStore?
    let openError: String?

    /// 503 when the history database could not be opened at start.
    var unavailable: HTTPResponse {
        .error(503, .historyUnavailable, "the history database is not open: \(openError ?? "unknown error")")
    }
}

/// Shared answers, so each route says the same thing the same way.
enum CommonResponses {
    static let noSampleYet = HTTPResponse.error(503, .noSampleYet, "the first sample has not been taken yet")
}

extension RouteSpec {
    func historyUnavailable() -> RouteSpec {
        fails(503, "the history database is not open", .historyUnavailable)
    }
    func historyQueryFailed() -> RouteSpec {
        fails(500, "the history database failed to answer", .historyQueryFailed)
    }
}
