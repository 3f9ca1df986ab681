import VitalsSupport
import Glibc

/// Which processes belong to a job: its pid and that pid's descendants, found by walking
/// each GPU process's parent chain in /proc (only GPU processes are looked at, so a tick
/// reads a handful of small files).
struct ProcessTree {
    let procRoot: String

    func alive(_ pid: Int32) -> Bool {
        access(procRoot + "/\(pid)", F_OK) == 0
    }

    func parent(_ pid: Int32) -> Int32? {
        guard let bytes = SmallFile.read(procRoot + "/\(pid)/stat", maxBytes: 4096) else { return nil }
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let rest = String(decoding: bytes[(close + 1)...], as: UTF8.self).split(separator: " ")
        return rest.count > 1 ? Int32(rest[1]) : nil
    }

    /// For each pid, the job pid among `roots` it is or descends from (nil: none).
    func owners(of pids: [Int32], roots: Set<Int32>) -> [Int32: Int32] {
        var out: [Int32: Int32] = [:]
        guard !roots.isEmpty else { return out }
        for pid in pids {
            var p = pid
            for _ in 0..<64 {
                if roots.contains(p) { out[pid] = p; break }
                guard let up = parent(p), up > 1, up != p else { break }
                p = up
            }
        }
        return out
    }
}
