import VitalsSupport
import VitalsTransport
import VitalsCore
import Glibc
import CLinux

/// Bearer-token rules: state-changing routes need an admin token; reads are open on a
/// loopback bind (unless `auth.loopback_reads_need_token`) and need a (read or admin) token
/// elsewhere unless `auth.open_reads`. Routes open to `.anyone` (the dashboard's files) never do.
public struct AuthPolicy: Sendable {
    public let adminTokens: [[UInt8]]
    public let readTokens: [[UInt8]]
    /// `auth.job_tokens`: may create and update jobs (and add activity), nothing else.
    public let jobTokens: [[UInt8]]
    public let readsNeedToken: Bool
    /// Where an auto-generated admin token was written, for the start-up log line.
    public let generatedTokenFile: String?

    public init(adminTokens: [String], readTokens: [String], jobTokens: [String] = [], readsNeedToken: Bool, generatedTokenFile: String? = nil) {
        self.adminTokens = adminTokens.map { Array($0.utf8) }
        self.readTokens = readTokens.map { Array($0.utf8) }
        self.jobTokens = jobTokens.map { Array($0.utf8) }
        self.readsNeedToken = readsNeedToken
        self.generatedTokenFile = generatedTokenFile
    }

    /// Whether both hold the same tokens (a reload compares before and after).
    func sameTokens(as other: AuthPolicy) -> Bool {
        adminTokens == other.adminTokens && readTokens == other.readTokens && readsNeedToken == other.readsNeedToken
    }

    /// Builds the policy from config: tokens from config and the token file; on a loopback
    /// bind with no admin token configured, one is generated into `<data_dir>/admin.token`
    /// (0600) so that `make run` works with no set-up and nothing secret lives in the repo.
    public static func load(_ c: VitalsConfig) throws(ConfigError) -> AuthPolicy {
        var admin = c.adminTokens
        if let file = c.tokenFile { admin += try readTokenFile(file) }
        // Each key speaks for one kind of bind: a loopback one is open unless the machine's
        // other users must not read it; any other is closed unless the network is trusted.
        let readsNeedToken = c.isLoopbackBind ? c.loopbackReadsNeedToken : !c.openReads
        if !c.isLoopbackBind && admin.isEmpty && c.readTokens.isEmpty {
            throw ConfigError("config: server.listen = \"\(c.listenAddress)\" is not a loopback address, so a token is required: set auth.admin_tokens, auth.read_tokens or auth.token_file")
        }
        var generated: String? = nil
        if admin.isEmpty {
            let path = (c.dataDir.hasSuffix("/") ? c.dataDir : c.dataDir + "/") + "admin.token"
            var st = stat()
            if lstat(path, &st) == 0 {
                // Ours and well-formed, or a clear error: never replaced, never followed.
                admin = try readTokenFile(path, what: "admin token file")
                guard !admin.isEmpty else {
                    throw ConfigError("\(path) holds no token; delete it and a new one is generated")
                }
            } else {
                let token = randomToken()
                guard writeSecret(path: path, contents: token + "\n") else {
                    throw ConfigError("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                admin = [token]
            }
            generated = path
        }
        return AuthPolicy(adminTokens: admin, readTokens: c.readTokens, jobTokens: c.jobTokens, readsNeedToken: readsNeedToken, generatedTokenFile: generated)
    }

    /// One token per line; blank lines and `#` comments skipped. A symbolic link, a file of
    /// another owner, and group/other access are refused.
    static func readTokenFile(_ path: String, what: String = "auth.token_file") throws(ConfigError) -> [String] {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw ConfigError("config: \(what) = \"\(path)\": cannot read (\(String(cString: strerror(errno))))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ConfigError("config: \(what) = \"\(path)\": must be a regular file, not a symbolic link or anything else")
        }
        guard st.st_uid == geteuid() else {
            throw ConfigError("config: \(what) = \"\(path)\": owned by uid \(st.st_uid), not by this daemon's uid \(geteuid())")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw ConfigError("config: \(what) = \"\(path)\": must not be readable by group or others (chmod 600)")
        }
        guard let bytes = SmallFile.read(path, maxBytes: 16 << 20) else {
            throw ConfigError("config: \(what) = \"\(path)\": cannot read (\(String(cString: strerror(errno))))")
        }
        let tokens = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.trimmedWhitespace }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        for t in tokens where t.count < 16 {
            throw ConfigError("config: \(what) = \"\(path)\": every token must have at least 16 characters")
        }
        return tokens
    }

    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 24)
        let n = bytes.withUnsafeMutableBytes { getrandom($0.baseAddress, $0.count, 0) }
        if n != bytes.count {
            // getrandom cannot fail for 24 bytes once the pool is initialised; be safe anyway.
            var s = SystemRandomNumberGenerator()
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &s) }
        }
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// Creates the file, never opening one that exists or following a link (O_EXCL|O_NOFOLLOW).
    static func writeSecret(path: String, contents: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let bytes = Array(contents.utf8)
        return bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count
    }

    public func authorize(_ req: HTTPRequest, _ context: AuthContext) -> HTTPResponse? {
        // The dashboard's files: no token is looked at, so none can be refused.
        if context.access == .anyone { return nil }
        let presented: [UInt8]?
        switch Self.bearer(req, queryAllowed: context.isUpgrade) {
        case .failure(let refusal): return refusal.response
        case .success(let token): presented = token
        }
        switch context.access {
        case .read:
            if !readsNeedToken { return nil }
            guard let t = presented else { return Self.unauthorized("this server needs a bearer token for reads") }
            // A job token reads too: `vitals run` polls its job with it.
            if Self.matches(t, adminTokens) || Self.matches(t, readTokens) || Self.matches(t, jobTokens) { return nil }
            return Self.unauthorized("invalid token")
        case .admin:
            guard let t = presented else { return Self.unauthorized("this route changes state and needs an admin bearer token") }
            if Self.matches(t, adminTokens) { return nil }
            if Self.matches(t, readTokens) { return .error(403, .forbidden, "a read token cannot change state; use an admin token") }
            if Self.matches(t, jobTokens) { return .error(403, .forbidden, "a job token may only create and update jobs; use an admin token") }
            return Self.unauthorized("invalid token")
        case .job:
            guard let t = presented else { return Self.unauthorized("this route changes jobs and needs a job or admin bearer token") }
            if Self.matches(t, adminTokens) || Self.matches(t, jobTokens) { return nil }
            if Self.matches(t, readTokens) { return .error(403, .forbidden, "a read token cannot change jobs; use a job or admin token") }
            return Self.unauthorized("invalid token")
        case .anyone:
            return nil // answered above
        }
    }

    /// `Authorization: Bearer X`; on a WebSocket upgrade also `?token=X` (browsers cannot
    /// set headers there). Elsewhere a query token is refused, not ignored: it would sit in
    /// access logs and browser history, and the client should learn to use the header.
    /// Two Authorization headers are ambiguous (which one did a proxy add?): 400.
    static func bearer(_ req: HTTPRequest, queryAllowed: Bool) -> Result<[UInt8]?, RefusalResponse> {
        let headers = req.headerValues("authorization")
        if headers.count > 1 {
            return .failure(RefusalResponse(.error(400, .badRequest, "more than one Authorization header")))
        }
        // A byte search first: String.contains(String) is a generic search, and this runs
        // on every request; parsing the query happens only when a token may be in it.
        let queryToken = Self.mayHoldToken(req.rawQuery) ? req.query["token"] : nil
        if queryToken != nil && !queryAllowed {
            return .failure(RefusalResponse(.error(400, .badRequest,
                "a token in the query string is accepted only on the WebSocket upgrade; send Authorization: Bearer <token>")))
        }
        if let h = headers.first {
            let parts = h.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return .success(Array(parts[1].trimmedWhitespace.utf8)) }
            return .success([])
        }
        return .success(queryToken.map { Array($0.utf8) })
    }

    private static let tokenKey = Array("token=".utf8)

    private static func mayHoldToken(_ rawQuery: String) -> Bool {
        let key = tokenKey
        var u = rawQuery.utf8.makeIterator(), matched = 0
        while let b = u.next() {
            matched = b == key[matched] ? matched + 1 : (b == key[0] ? 1 : 0)
            if matched == key.count { return true }
        }
        return false
    }

    /// Compares against every token without an early exit on the first differing byte,
    /// so response time does not reveal how much of a guess was right.
    static func matches(_ presented: [UInt8], _ tokens: [[UInt8]]) -> Bool {
        var found = false
        for t in tokens {
            var diff = UInt8(truncatingIfNeeded: presented.count ^ t.count)
            let n = max(presented.count, t.count)
            for i in 0..<n {
                let a = i < presented.count ? presented[i] : 0
                let b = i < t.count ? t[i] : 0
                diff |= a ^ b
            }
            found = found || (diff == 0 && !t.isEmpty)
        }
        return found
    }

    static func unauthorized(_ message: String) -> HTTPResponse {
        var r = HTTPResponse.error(401, .unauthorized, message)
        r.headers.append(("WWW-Authenticate", "Bearer realm=\"vitals\""))
        return r
    }
}

/// A ready answer that refuses a request, as an Error for `Result`.
struct RefusalResponse: Error {
    let response: HTTPResponse
    init(_ r: HTTPResponse) { response = r }
}

extension AuthPolicy {
    /// Who made a request, for the audit log and acknowledgements, never the secret: the
    /// kind of token and the first 8 hex digits of its SHA-1 (a fingerprint; SHA-1 is the
    /// hash the toolchain-free build has, and 32 bits of it reveal nothing usable of a
    /// 192-bit token). "anonymous" without a token.
    public func who(_ req: HTTPRequest) -> String {
        guard case .success(let t?) = Self.bearer(req, queryAllowed: true), !t.isEmpty else { return "anonymous" }
        let kind = Self.matches(t, adminTokens) ? "admin" : Self.matches(t, readTokens) ? "read" : "unknown"
        let hex = Array("0123456789abcdef".utf8)
        let digest = SHA1.hash(t).prefix(4).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }
        return kind + ":" + String(decoding: digest, as: UTF8.self)
    }
}
