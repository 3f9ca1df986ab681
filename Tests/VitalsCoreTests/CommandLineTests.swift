import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsCore
@testable import VitalsAPI

/// `vitals check-config`, `token`, `status` and `--log-format json`, through the real binary.
final class CommandLineTests: XCTestCase {
    struct Run { var status: Int32; var out: String; var err: String }

    static var binary: String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let p = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("vitals").path
        return FileManager.default.isExecutableFile(atPath: p) ? p : nil
    }

    private func vitals(_ args: [String], env: [String: String] = [:], in dir: URL) throws -> Run {
        let bin = try XCTUnwrap(Self.binary, "vitals not built beside the tests")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = args
        p.environment = env
        p.currentDirectoryURL = dir
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    func testCheckConfigPrintsTheEffectiveConfigWithTokensMasked() throws {
        let dir = try makeTempDirectory(self)
        try #"{"server": {"port": 9123}, "auth": {"admin_tokens": ["secret-admin-token-0123456789"]}}"#
            .write(to: dir.appendingPathComponent("config.json"), atomically: false, encoding: .utf8)
        let ok = try vitals(["check-config"], env: ["VITALS_LOG_LEVEL": "debug"], in: dir)
        XCTAssertEqual(ok.status, 0, ok.err)
        let doc = try JSONValue.parse(Array(ok.out.utf8))
        XCTAssertEqual(doc["server"]?["port"]?.intValue, 9123, "from the file")
        XCTAssertEqual(doc["log"]?["level"]?.stringValue, "debug", "from the environment")
        XCTAssertEqual(doc["storage"]?["retention"]?["raw"]?.stringValue, "6h", "a default")
        XCTAssertEqual(doc["auth"]?["admin_tokens"]?.arrayValue?.first?.stringValue, "<masked>")
        XCTAssertFalse(ok.out.contains("secret-admin-token"))

        let bad = try vitals(["check-config"], env: ["VITALS_SERVER_PORT": "70000"], in: dir)
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.err, "vitals: config: VITALS_SERVER_PORT=70000: must be an integer from 0 to 65535\n")
        XCTAssertTrue(try vitals(["check-config", "--help"], in: dir).out.hasPrefix("Usage: vitals check-config"))
    }

    func testTokenPrintsAndRotatesThePrivateFile() throws {
        let dir = try makeTempDirectory(self)
        let data = dir.appendingPathComponent("data")
        XCTAssertEqual(try vitals(["token", "--data-dir", data.path], in: dir).status, 1, "nothing generated yet")
        let first = try vitals(["token", "--rotate", "--data-dir", data.path], in: dir)
        XCTAssertEqual(first.status, 1, "no data directory yet: \(first.err)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let rotated = try vitals(["token", "--rotate", "--data-dir", data.path], in: dir)
        XCTAssertEqual(rotated.status, 0, rotated.err)
        let token = rotated.out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(token.count, 48)
        XCTAssertEqual(try vitals(["token", "--data-dir", data.path], in: dir).out, token + "\n")
        var st = stat()
        XCTAssertEqual(stat(data.appendingPathComponent("admin.token").path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let again = try vitals(["token", "--rotate", "--data-dir", data.path], in: dir)
        XCTAssertNotEqual(again.out, rotated.out, "a new token each rotation")
    }

    func testStatusSummarisesTheRunningDaemon() throws {
        let d = try TestDaemon()
        d.app.sampler.tick(wallMs: Clock.wallMs(), monoNs: Clock.monotonicNs(), withGPU: false)
        let dir = try makeTempDirectory(self)
        let r = try vitals(["status", "--listen", "127.0.0.1:\(d.port)", "--data-dir", dir.path], in: dir)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasPrefix("vitals \(VitalsApp.version) at 127.0.0.1:\(d.port): "), r.out)
        XCTAssertTrue(r.out.contains("RAM 37.5 % of 15.3 GiB"), r.out)
        XCTAssertTrue(r.out.contains("GPU   none"), r.out)
        let down = try vitals(["status", "--listen", "127.0.0.1:1", "--data-dir", dir.path], in: dir)
        XCTAssertEqual(down.status, 1)
        XCTAssertTrue(down.err.contains("is it running?"), down.err)
    }

    func testJSONLogLinesAreOneObjectEach() throws {
        let line = Log.jsonLine(.warn, "accept paused", ["open": 12, "reason": "out of \"fds\"", "ok": true])
        let doc = try JSONValue.parse(Array(line.dropLast()))
        XCTAssertEqual(line.last, 10)
        XCTAssertEqual(doc["level"]?.stringValue, "warn")
        XCTAssertEqual(doc["msg"]?.stringValue, "accept paused")
        XCTAssertEqual(doc["open"]?.intValue, 12)
        XCTAssertEqual(doc["reason"]?.stringValue, "out of \"fds\"")
        XCTAssertEqual(doc["ok"]?.boolValue, true)
        XCTAssertNotNil(TimeFormat.parseISO8601(doc["ts"]?.stringValue ?? ""))
    }
}
