import Glibc

/// Reads small files (/proc/PID/stat, comm, cmdline, config, token files) with plain syscalls.
/// A process table scan opens hundreds of these, so this avoids Foundation's file APIs
/// and their allocations; a file that vanished between listing and reading is `nil`.
public enum SmallFile {
    public static func read(_ path: String, maxBytes: Int = 64 * 1024) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        let chunk = 4096
        while out.count < maxBytes {
            let want = min(chunk, maxBytes - out.count)
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: want))
            let n = out.withUnsafeMutableBytes { buf -> Int in
                // Retry on EINTR; any other error ends the read.
                while true {
                    let r = Glibc.read(fd, buf.baseAddress! + start, want)
                    if r < 0 && errno == EINTR { continue }
                    return r
                }
            }
            if n < 0 { return nil }
            out.removeLast(want - n)
            if n == 0 { break }
        }
        return out
    }

    /// The file as text, with one trailing newline removed (comm and friends end with one).
    public static func line(_ path: String) -> String? {
        guard var bytes = read(path, maxBytes: 4096) else { return nil }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
