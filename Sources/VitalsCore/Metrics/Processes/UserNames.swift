import VitalsSupport
/// uid → login name from /etc/passwd, read once: users rarely change under a daemon,
/// and a miss shows the number, as ps does.
struct UserNames {
    private var names: [UInt32: String] = [:]

    init(passwdPath: String) {
        guard let bytes = SmallFile.read(passwdPath, maxBytes: 4 << 20) else { return }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            // name:password:uid:gid:gecos:home:shell
            let f = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            guard f.count >= 3, !f[0].isEmpty, let uid = UInt32(f[2]) else { continue }
            if names[uid] == nil { names[uid] = String(f[0]) }
        }
    }

    func name(of uid: UInt32) -> String { names[uid] ?? String(uid) }
}
