import Glibc

/// Start-up time as a user sees it: from exec of the daemon to its first 200 on `path`.
enum FirstResponse {
    static func measure(port: UInt16, path: String, command: [String], timeoutMs: Int = 10_000) throws(BenchError) -> Double {
        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) }
        argv.append(nil)
        defer { for p in argv { free(p) } }

        var pid: pid_t = 0
        let t0 = Clock.monotonicNs()
        let rc = posix_spawnp(&pid, command[0], nil, nil, argv, environ)
        guard rc == 0 else { throw BenchError("cannot start \(command[0]): \(String(cString: strerror(rc)))") }
        defer {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }

        while true {
            if case .response(let status, _) = try HTTPProbe.get(port: port, path: path), status == 200 {
                return Double(Clock.monotonicNs() - t0) / 1e6
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                throw BenchError("\(command[0]) exited (status \(status)) before answering 200")
            }
            if Clock.monotonicNs() - t0 > UInt64(timeoutMs) * 1_000_000 {
                throw BenchError("no 200 from port \(port) within \(timeoutMs) ms")
            }
            usleep(1_000)
        }
    }
}
