import Foundation
import XCTest

/// Fixture trees live in Tests/Fixtures; tests that change files between ticks work on a copy.
enum ProcFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String { root.appendingPathComponent(name).path }

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    /// A throw-away copy of fixture `name`, removed when the test ends.
    static func copy(_ name: String, for test: XCTestCase) throws -> String {
        let target = FileManager.default.temporaryDirectory
            .appendingPathComponent("vitals-\(name)-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: root.appendingPathComponent(name), to: target)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: target) }
        return target.path
    }

    /// Puts fixture file `source` (e.g. "proc-tick2/stat") at `relative` inside `tree`.
    static func replace(_ relative: String, in tree: String, with source: String) throws {
        let destination = URL(fileURLWithPath: tree).appendingPathComponent(relative)
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.copyItem(at: root.appendingPathComponent(source), to: destination)
    }
}
