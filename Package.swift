// swift-tools-version: 6.1
import PackageDescription

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
        // NVML subset, loaded with dlopen at run time: no link-time dependency.
        .target(name: "CNVML", path: "Sources/CNVML"),
        .target(
            name: "VitalsCore",
            dependencies: ["CSQLite", "CLinux", "CNVML"],
            path: "Sources/VitalsCore",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "vitals",
            dependencies: ["VitalsCore"],
            path: "Sources/vitals",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // `make bench` helper: fills a history database, times requests and start-up.
        .executableTarget(
            name: "vitals-bench",
            dependencies: ["VitalsCore", "CSQLite", "CLinux"],
            path: "Sources/vitals-bench",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .testTarget(
            name: "VitalsCoreTests",
            dependencies: ["VitalsCore", "CLinux", "CSQLite"],
            path: "Tests/VitalsCoreTests",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
