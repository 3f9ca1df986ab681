import Foundation
import XCTest
@testable import VitalsSupport
@testable import VitalsTransport
@testable import VitalsCore
@testable import VitalsAPI

final class ConfigTests: XCTestCase {
    /// Loads with `file` as the config file (an empty object unless given).
    private func load(_ args: [String] = [], env: [String: String] = [:], file: String = "{}") throws(ConfigError) -> VitalsConfig {
        var args = args
        let tmp = TempDir()
        if !args.contains("--config") {
            let path = tmp.path + "/config.json"
            FileManager.default.createFile(atPath: path, contents: Data(file.utf8))
            args = ["--config", path] + args
        }
        switch try ConfigLoader.load(arguments: args, environment: env) {
        case .run(let c): return c
        default: throw ConfigError("not a run action")
        }
    }

    private func error(_ args: [String] = [], env: [String: String] = [:], file: String = "{}") -> String {
        do { _ = try load(args, env: env, file: file); return "no error" } catch { return error.description }
    }

    func testRepoConfigIsValidAndMatchesDefaults() throws {
        let repoConfig = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config.json").path
        let c = try load(["--config", repoConfig])
        XCTAssertEqual(c.port, 8089)
        XCTAssertEqual(c.listenAddress, "127.0.0.1")
        XCTAssertEqual(c.samplingIntervalMs, 500)
        XCTAssertEqual(c.retention10sMs, 7 * 86_400_000)
    }

    func testInvalidValuesNameKeyValueAndAllowed() {
        XCTAssertEqual(error(file: #"{"server": {"port": 70000}}"#), "config: server.port = 70000: must be an integer from 0 to 65535")
        XCTAssertEqual(error(file: #"{"sampling": {"interval_ms": "fast"}}"#), #"config: sampling.interval_ms = "fast": must be an integer from 100 to 60000"#)
        XCTAssertTrue(error(file: #"{"server": {"prot": 1}}"#).contains("unknown key server.prot"))
        XCTAssertTrue(error(file: #"{"server": {"prot": 1}}"#).contains("port"))
        XCTAssertTrue(error(file: #"{"storage": {"retention": {"raw": "3 weeks"}}}"#).hasPrefix("config: storage.retention.raw = \"3 weeks\": must be a duration"))
        XCTAssertTrue(error(file: "{not json").hasPrefix("config "))
        XCTAssertTrue(error(file: "[]").contains("top level must be a JSON object"))
        XCTAssertEqual(error(file: #"{"log": {"level": "loud"}}"#), #"config: log.level = "loud": must be one of debug, info, warn, error"#)
        XCTAssertTrue(error(file: #"{"auth": {"admin_tokens": ["short"]}}"#).contains("at least 16 characters"))
        XCTAssertTrue(error(file: #"{"server": {"listen": "example.com"}}"#).contains("server.listen"))
    }

    func testLoopbackReadsNeedTokenFromFileAndEnvironment() throws {
        XCTAssertFalse(try load().loopbackReadsNeedToken)
        XCTAssertTrue(try load(file: #"{"auth": {"loopback_reads_need_token": true}}"#).loopbackReadsNeedToken)
        XCTAssertTrue(try load(env: ["VITALS_AUTH_LOOPBACK_READS_NEED_TOKEN": "true"]).loopbackReadsNeedToken)
        XCTAssertTrue(error(file: #"{"auth": {"loopback_reads_need_token": "yes"}}"#).hasPrefix("config: auth.loopback_reads_need_token = "))
    }

    func testEnvironmentOverridesFileAndFlagsOverrideEnvironment() throws {
        let file = #"{"server": {"port": 9000}, "storage": {"retention": {"raw": "2h"}}}"#
        let c = try load(env: ["VITALS_SERVER_PORT": "9100", "VITALS_STORAGE_RETENTION_RAW": "30m", "VITALS_GPU_ENABLED": "false"], file: file)
        XCTAssertEqual(c.port, 9100)
        XCTAssertEqual(c.retentionRawMs, 30 * 60_000)
        XCTAssertFalse(c.gpuEnabled)
        let f = try load(["--listen", "0.0.0.0:9200", "--data-dir", "/tmp/x", "--log-level=debug"], env: ["VITALS_SERVER_PORT": "9100"], file: file)
        XCTAssertEqual(f.port, 9200)
        XCTAssertEqual(f.listenAddress, "0.0.0.0")
        XCTAssertEqual(f.dataDir, "/tmp/x")
        XCTAssertEqual(f.logLevel, .debug)
        XCTAssertTrue(error(env: ["VITALS_STORAGE_RETENTION_RAW": "1e300"]).hasPrefix("config: VITALS_STORAGE_RETENTION_RAW=1e300: must be a duration"))
        XCTAssertEqual(error(env: ["VITALS_SERVER_PORT": "abc"]), #"config: VITALS_SERVER_PORT=abc: must be an integer from 0 to 65535"#)
        let v6 = try load(["--listen", "[::1]:9300"])
        XCTAssertEqual(v6.listenAddress, "::1")
        XCTAssertTrue(v6.isLoopbackBind)
    }

    func testCommandLineActions() throws {
        XCTAssertEqual(try ConfigLoader.load(arguments: ["--help"], environment: [:]), .help)
        XCTAssertEqual(try ConfigLoader.load(arguments: ["--version"], environment: [:]), .version)
        XCTAssertEqual(error(["--bogus"]), "unknown option --bogus (see --help)")
        XCTAssertEqual(error(["--listen"]), "--listen needs a value (see --help)")
        XCTAssertTrue(error(["--config", "/nonexistent/vitals.json"]).contains("cannot read file"))
    }

    func testNonLoopbackBindWithoutTokenIsRefused() {
        let dir = TempDir()
        var c = VitalsConfig()
        c.listenAddress = "0.0.0.0"
        c.dataDir = dir.path
        XCTAssertThrowsError(try AuthPolicy.load(c)) { e in
            XCTAssertTrue("\(e)".contains("not a loopback address"))
        }
        c.readTokens = ["0123456789abcdef0123"]
        XCTAssertNoThrow(try AuthPolicy.load(c))
    }

    func testTokenFileMustBePrivate() throws {
        let dir = TempDir()
        let path = dir.path + "/tokens"
        FileManager.default.createFile(atPath: path, contents: Data("# admin\nfile-token-0123456789abcdef\n".utf8))
        chmod(path, 0o644)
        var c = VitalsConfig()
        c.dataDir = dir.path
        c.tokenFile = path
        XCTAssertThrowsError(try AuthPolicy.load(c)) { XCTAssertTrue("\($0)".contains("chmod 600")) }
        chmod(path, 0o600)
        let policy = try AuthPolicy.load(c)
        XCTAssertEqual(policy.adminTokens, [Array("file-token-0123456789abcdef".utf8)])
        XCTAssertNil(policy.generatedTokenFile)
    }

    func testGeneratedAdminTokenIsPrivateAndStable() throws {
        let dir = TempDir()
        var c = VitalsConfig()
        c.dataDir = dir.path
        let first = try AuthPolicy.load(c)
        let path = try XCTUnwrap(first.generatedTokenFile)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let second = try AuthPolicy.load(c)
        XCTAssertEqual(first.adminTokens, second.adminTokens)
        XCTAssertEqual(first.adminTokens.first?.count, 48)
    }

    func testUnknownVitalsEnvironmentVariablesAreReported() throws {
        let dir = try makeTempDirectory(self)
        let file = dir.appendingPathComponent("config.json").path
        try "{}".write(toFile: file, atomically: false, encoding: .utf8)
        let action = try ConfigLoader.load(arguments: [],
                                           environment: ["VITALS_SERVER_PROT": "1", "VITALS_SERVER_PORT": "9000",
                                                         "VITALS_CONFIG": file, "HOME": "/root"])
        guard case .run(let c) = action else { return XCTFail("not a run") }
        XCTAssertEqual(c.unknownEnvironment, ["VITALS_SERVER_PROT"])
        XCTAssertEqual(c.port, 9000)
    }

    /// The file-content seam (what the fuzzer drives) says what `load` says for that file.
    func testFileBytesSeamMatchesLoad() throws {
        var c = VitalsConfig()
        try ConfigLoader.apply(fileBytes: Array(#"{"server": {"port": 9001}}"#.utf8), to: &c, source: "x.json")
        XCTAssertEqual(c, try load(file: #"{"server": {"port": 9001}}"#))
        XCTAssertThrowsError(try ConfigLoader.apply(fileBytes: Array("{".utf8), to: &c, source: "x.json")) { e in
            XCTAssertTrue("\(e)".hasPrefix("config x.json: "), "\(e)")
        }
    }
}
