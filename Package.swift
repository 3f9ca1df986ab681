// swift-tools-version: 6.1
import PackageDescription
import Foundation

// Layers as modules, so the compiler keeps the direction one way:
//   VitalsAPI → VitalsCore → VitalsSupport, and VitalsAPI → VitalsTransport → VitalsSupport.
// VitalsTransport (epoll, HTTP/1.1, RFC 6455, topic fan-out) knows nothing of metrics,
// the store or the domain; VitalsCore (config, metrics, store, domain) knows nothing of HTTP.
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Vitals",
    products: [
        .executable(name: "vitals", targets: ["vitals"]),
    ],
    targets: [
        // System SQLite (libsqlite3-dev), linked through a module map.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite"),
        // Linux headers Glibc does not expose (epoll, eventfd, accept4).
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        // zlib's header (zlib1g-dev) for gzip; libz itself is loaded with dlopen on first use.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // NVML subset, loaded with dlopen at run time: no link-time dependency.
        .target(name: "CNVML", path: "Sources/CNVML"),
        // Time sources, JSON reading and writing, logging, threads: what every layer uses.
        .target(name: "VitalsSupport", dependencies: ["CLinux", "CZlib"], path: "Sources/VitalsSupport", swiftSettings: swift6),
        .target(name: "VitalsTransport", dependencies: ["VitalsSupport", "CLinux"],
                path: "Sources/VitalsTransport", swiftSettings: swift6),
        .target(name: "VitalsCore", dependencies: ["VitalsSupport", "CSQLite", "CLinux", "CNVML"],
                path: "Sources/VitalsCore", swiftSettings: swift6),
        // The dashboard's files (Assets/: html, js, css, the vendored Chart.js), embedded at
        // build time by the EmbedAssets plugin: vitals-embed writes them into one generated
        // Swift file as base64 literals (identity and gzip), so the binary needs no files.
        .executableTarget(name: "vitals-embed", path: "Sources/vitals-embed", swiftSettings: swift6),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["vitals-embed"], path: "Plugins/EmbedAssets"),
        .target(name: "VitalsDashboard", dependencies: ["VitalsTransport", "VitalsSupport"], path: "Sources/VitalsDashboard",
                exclude: ["Assets", "ThirdParty"], swiftSettings: swift6, plugins: ["EmbedAssets"]),
        .target(name: "VitalsAPI", dependencies: ["VitalsCore", "VitalsTransport", "VitalsSupport", "VitalsDashboard", "CLinux"],
                path: "Sources/VitalsAPI", swiftSettings: swift6),
        .executableTarget(name: "vitals", dependencies: ["VitalsAPI", "VitalsCore", "VitalsSupport", "CLinux"],
                          path: "Sources/vitals", swiftSettings: swift6),
        // `make bench` helper: fills a history database, times requests and start-up.
        .executableTarget(name: "vitals-bench",
                          dependencies: ["VitalsAPI", "VitalsCore", "VitalsTransport", "VitalsSupport", "CSQLite", "CLinux"],
                          path: "Sources/vitals-bench", swiftSettings: swift6),
        .testTarget(name: "VitalsCoreTests",
                    dependencies: ["VitalsAPI", "VitalsCore", "VitalsTransport", "VitalsSupport", "VitalsDashboard", "CLinux", "CSQLite"],
                    path: "Tests/VitalsCoreTests", swiftSettings: swift6),
    ]
)

// `make fuzz` / `make fuzz-ci` set VITALS_FUZZ=1 to add the libFuzzer harness. It exists
// only then: it has no `main` of its own (libFuzzer's runtime brings one), so a plain
// `swift build` or `swift test` could not link it, and it must never reach a release.
if ProcessInfo.processInfo.environment["VITALS_FUZZ"] == "1" {
    // The fuzz build links every executable with libFuzzer's `main`, the embedding tool
    // too; the fuzzers need no dashboard, so it is built without its files there
    // (EmbeddedAssets+None.swift answers an empty list under VITALS_NO_EMBED).
    if let i = package.targets.firstIndex(where: { $0.name == "VitalsDashboard" }) {
        package.targets[i].plugins = []
        package.targets[i].swiftSettings = swift6 + [.define("VITALS_NO_EMBED")]
    }
    package.targets.removeAll { $0.name == "vitals-embed" || $0.name == "EmbedAssets" }
    package.targets.append(
        .executableTarget(name: "vitals-fuzz",
                          dependencies: ["VitalsAPI", "VitalsCore", "VitalsTransport", "VitalsSupport"],
                          path: "Sources/vitals-fuzz", swiftSettings: swift6))
}
