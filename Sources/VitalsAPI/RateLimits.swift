import VitalsSupport
import VitalsTransport
import VitalsCore

/// Per-client limits around the token check: state-changing (admin) requests, and
/// failed authentications (a wrong token, or a read token on an admin route). Past a
/// limit the client gets 429 with `Retry-After`; a client out of failures is refused
/// before its next token is even compared, so guessing tokens is slow. Reads that need no
/// token are never limited here, nor are job routes (`.job`): an application reports
/// progress thousands of times a second, and only failed authentications limit those.
public final class RateLimits: Sendable {
    private let admin: TokenBuckets?
    private let failures: TokenBuckets?
    /// Told of every refusal on an admin route (the audit log), with the status sent.
    private let onAdminRefusal: (@Sendable (HTTPRequest, Int) -> Void)?

    /// 0 per minute turns a limit off.
    public init(adminPerMinute: Int, authFailuresPerMinute: Int, time: any TimeSource,
                onAdminRefusal: (@Sendable (HTTPRequest, Int) -> Void)? = nil) {
        self.onAdminRefusal = onAdminRefusal
        admin = adminPerMinute > 0
            ? TokenBuckets(perMinute: adminPerMinute, burst: max(10, adminPerMinute / 10), time: time) : nil
        failures = authFailuresPerMinute > 0
            ? TokenBuckets(perMinute: authFailuresPerMinute, burst: authFailuresPerMinute, time: time) : nil
    }

    public func authorize(_ req: HTTPRequest, _ context: AuthContext, policy: AuthPolicy) -> HTTPResponse? {
        let refusal = check(req, context, policy: policy)
        if let refusal, context.access == .admin { onAdminRefusal?(req, refusal.status) }
        return refusal
    }

    private func check(_ req: HTTPRequest, _ context: AuthContext, policy: AuthPolicy) -> HTTPResponse? {
        let client = req.remoteAddress
        let presentsToken = !req.headerValues("authorization").isEmpty || (context.isUpgrade && req.rawQuery.contains("token="))
        let needsToken: Bool
        switch context.access {
        case .anyone: return nil
        case .read: needsToken = policy.readsNeedToken
        case .admin, .job: needsToken = true
        }
        if presentsToken, needsToken, let failures, failures.isEmpty(client) {
            return Self.tooMany("too many failed authentications from \(client)", retryAfter: 60)
        }
        if let refusal = policy.authorize(req, context) {
            if presentsToken && (refusal.status == 401 || refusal.status == 403) {
                Log.warn("authentication failed", ["remote": client, "route": req.path, "status": refusal.status])
                if let failures, let wait = failures.take(client) {
                    Log.warn("client throttled after failed authentications", ["remote": client, "retry_after_s": wait])
                    return Self.tooMany("too many failed authentications from \(client)", retryAfter: wait)
                }
            }
            return refusal
        }
        if context.access == .admin, let admin, let wait = admin.take(client) {
            return Self.tooMany("too many state-changing requests from \(client)", retryAfter: wait)
        }
        return nil
    }

    static func tooMany(_ message: String, retryAfter: Int) -> HTTPResponse {
        var r = HTTPResponse.error(429, .tooManyRequests, message + "; retry in \(retryAfter) s")
        r.headers.append(("Retry-After", String(retryAfter)))
        return r
    }
}
