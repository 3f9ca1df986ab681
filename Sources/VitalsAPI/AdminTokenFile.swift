import Glibc
import VitalsSupport
import VitalsCore

/// `<data_dir>/admin.token`: the admin token generated on first start when none is
/// configured, read and rotated by `vitals token`.
public enum AdminTokenFile {
    public static func path(_ c: VitalsConfig) -> String {
        (c.dataDir.hasSuffix("/") ? c.dataDir : c.dataDir + "/") + "admin.token"
    }

    /// The first token of the file; the same checks as at start (no link, ours, 0600).
    public static func read(_ c: VitalsConfig) throws(ConfigError) -> String {
        let p = path(c)
        guard let token = try AuthPolicy.readTokenFile(p, what: "admin token file").first else {
            throw ConfigError("\(p) holds no token")
        }
        return token
    }

    /// Replaces the file with a new token, atomically: written beside it (created, never
    /// followed) and renamed over it, so a reader sees the old file or the new one.
    public static func rotate(_ c: VitalsConfig) throws(ConfigError) -> String {
        let p = path(c)
        var st = stat()
        if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
            throw ConfigError("\(p) is not a regular file (a symbolic link?); not replacing it")
        }
        let token = AuthPolicy.randomToken()
        let temp = p + ".new"
        unlink(temp)
        guard AuthPolicy.writeSecret(path: temp, contents: token + "\n") else {
            throw ConfigError("cannot write \(temp): \(String(cString: strerror(errno)))")
        }
        guard rename(temp, p) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(temp)
            throw ConfigError("cannot replace \(p): \(e)")
        }
        return token
    }
}
