import Foundation
import XCTest
import VitalsSupport

/// Builds Tests/Fixtures/fake-nvml/fake_nvml.c into a temporary libnvidia-ml.so.1, once
/// per variant and test process, so the loader is tested through its real dlopen path.
enum NVMLFakeLibrary {
    static let source = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fake-nvml/fake_nvml.c").path

    /// Current drivers: every versioned symbol.
    static let standard: Result<String, BuildError> = build(variant: "standard", flags: [])
    /// An old driver: plain symbols only, and a few functions missing altogether.
    static let unversioned: Result<String, BuildError> = build(variant: "unversioned", flags: ["-DFAKE_NO_VERSIONED"])

    struct BuildError: Error, CustomStringConvertible { var description: String }

    static func path(_ lib: Result<String, BuildError>) throws -> String {
        switch lib {
        case .success(let p): return p
        case .failure(let e): throw e
        }
    }

    private static func build(variant: String, flags: [String]) -> Result<String, BuildError> {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("vitals-fake-nvml-\(getpid())/\(variant)")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            return .failure(BuildError(description: "cannot create \(dir.path): \(error)"))
        }
        let out = dir.appendingPathComponent("libnvidia-ml.so.1").path
        var messages: [String] = []
        for compiler in ["cc", "gcc", "clang"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [compiler, "-shared", "-fPIC", "-O1", "-Wall"] + flags + ["-o", out, source]
            let pipe = Pipe()
            p.standardError = pipe
            p.standardOutput = pipe
            do { try p.run() } catch { messages.append("\(compiler): \(error)"); continue }
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if p.terminationStatus == 0 { return .success(out) }
            messages.append("\(compiler): \(text)")
        }
        return .failure(BuildError(description: "cannot build the fake NVML: " + messages.joined(separator: "\n")))
    }

    /// A counter the fake exports, read through its own dlopen handle (the same one the loader has).
    static func counter(_ lib: String, _ symbol: String) -> Int32 {
        guard let h = dlopen(lib, RTLD_NOW) else { return -1 }
        defer { dlclose(h) }
        guard let sym = dlsym(h, symbol) else { return -1 }
        typealias Fn = @convention(c) () -> Int32
        return unsafeBitCast(sym, to: Fn.self)()
    }
}

/// A clock the test moves by hand.
/// The NVML tests' monotonic clock, in ms, set by hand.
typealias ManualClock = ManualTime
extension ManualTime {
    var ms: Int64 {
        get { monotonicMs() }
        set { advance(ms: newValue - monotonicMs()) }
    }
}
