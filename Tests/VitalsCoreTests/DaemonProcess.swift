import Foundation
import Glibc
import XCTest

/// The real `vitals` executable (built beside the test bundle by `swift build`/`swift test`)
/// run as a child process on a free loopback port, its log in a file. For what only a whole
/// process shows: signals, exit status, a second daemon on the same data directory.
final class DaemonProcess {
    let process = Process()
    let port: Int
    let dataDir: String
    let logPath: String
    private let workDir = TempDir()

    static var executable: String {
        // The test bundle and the executable share the build products directory.
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundleDir.appendingPathComponent("vitals").path
    }

    /// Starts the daemon; with `waitUntilServing`, returns once it answers /health.
    init(dataDir: String, extraEnvironment: [String: String] = [:], config: String? = nil,
         waitUntilServing: Bool = true) throws {
        let exe = Self.executable
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            throw TestError("no vitals executable at \(exe): run swift build first")
        }
        port = try freeLoopbackPort()
        self.dataDir = dataDir
        logPath = workDir.path + "/vitals.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        if let config { try config.write(toFile: workDir.path + "/config.json", atomically: true, encoding: .utf8) }
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = ["--listen", "127.0.0.1:\(port)", "--data-dir", dataDir, "--log-level", "info"]
        // A working directory without config.json, so only these flags apply.
        process.currentDirectoryURL = URL(fileURLWithPath: workDir.path)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VITALS_") }
        env["VITALS_GPU_ENABLED"] = "false"
        for (k, v) in extraEnvironment { env[k] = v }
        process.environment = env
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        try process.run()
        if waitUntilServing { try waitForHealth() }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Writes `./config.json` in the daemon's working directory (read at start and on SIGHUP).
    func writeConfig(_ json: String) throws {
        try json.write(toFile: workDir.path + "/config.json", atomically: true, encoding: .utf8)
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }

    /// Waits up to `seconds` for the process to end; its exit status, or nil if still running.
    func waitForExit(seconds: Double) -> Int32? {
        let end = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < end { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// True once the log has a line containing `text` (within `seconds`).
    func waitForLog(_ text: String, seconds: Double = 5) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if log.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    func get(_ path: String) throws -> TestHTTPClient.Response {
        try TestHTTPClient.request(port: port, "GET", path)
    }

    private func waitForHealth() throws {
        let end = Date().addingTimeInterval(15)
        while Date() < end {
            guard process.isRunning else { throw TestError("vitals exited (\(process.terminationStatus)): \(log)") }
            if let r = try? get("/api/v1/system/health"), r.status == 200 { return }
            usleep(50_000)
        }
        throw TestError("vitals did not answer within 15 s: \(log)")
    }
}

/// A port nobody listens on right now (the kernel's pick for a socket bound to port 0).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestError("socket failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw TestError("bind failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
