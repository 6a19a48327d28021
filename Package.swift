// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Warmth",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "warmth", targets: ["warmth"]),
        .library(name: "WarmthLua", targets: ["WarmthLua"]),
        .library(name: "WarmthDomain", targets: ["WarmthDomain"]),
        .library(name: "WarmthStore", targets: ["WarmthStore"]),
        .library(name: "WarmthRuntime", targets: ["WarmthRuntime"]),
        .library(name: "WarmthLedger", targets: ["WarmthLedger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        // Lua 5.4 from the system (Debian: liblua5.4-dev), found through pkg-config.
        .systemLibrary(
            name: "CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // SHA-256 from the system's OpenSSL (Debian: libssl-dev).
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libedit (BSD; Debian: libedit-dev) for the REPL's line editing, history and completion.
        .systemLibrary(name: "CEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
        // The REPL's terminal seam in C: locale, the Ctrl-C flag, readline, history, completion.
        .target(name: "CLineEdit", dependencies: ["CEdit"]),
        // C only: allocator, count hook, message handler, trampoline, read-only proxies.
        .target(name: "CLuaBridge", dependencies: ["CLua"]),
        // The Swift binding over lua_State. Knows nothing of unions or SQLite.
        .target(name: "WarmthLua", dependencies: ["CLua", "CLuaBridge"]),
        // Campaign, Household, Payout, Unit, Money. Knows nothing of Lua or SQLite.
        .target(name: "WarmthDomain"),
        // The storage protocols the ledger core writes through (SQLite now, PostgreSQL later).
        .target(name: "WarmthStorage", dependencies: ["WarmthDomain"]),
        // SQLite through GRDB: units, households, campaigns, the ledger. The only importer of GRDB.
        .target(name: "WarmthStore", dependencies: [
            "WarmthDomain", "WarmthStorage", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Files units keep: CSV import (UTF-8, GB18030), validation, the synthetic demo city.
        .target(name: "WarmthData", dependencies: [
            "WarmthDomain", "WarmthStore", .product(name: "CSV", package: "CSV.swift"),
        ]),
        // Policies: the sandbox, loading, evaluation on worker threads, caps, allocate, plans.
        .target(name: "WarmthRuntime", dependencies: ["WarmthLua", "WarmthDomain", "CCrypto"]),
        // The campaign ledger core: commits, the payout lifecycle, 补发, phases, the 不漏/不重/不错
        // checks; every money rule inside one write transaction of the storage.
        .target(name: "WarmthLedger", dependencies: ["WarmthDomain", "WarmthStorage"]),
        .executableTarget(
            name: "warmth",
            dependencies: [
                "WarmthLua", "WarmthDomain", "WarmthStorage", "WarmthLedger", "WarmthStore", "WarmthData", "WarmthRuntime", "CLineEdit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "warmth-bench", dependencies: ["WarmthLua", "WarmthRuntime", "WarmthDomain", "WarmthStore", "WarmthData", "WarmthLedger", "WarmthStorage"], path: "Benchmarks/warmth-bench"),
        .testTarget(name: "WarmthLuaTests", dependencies: ["WarmthLua"]),
        .testTarget(name: "WarmthDomainTests", dependencies: ["WarmthDomain"]),
        .testTarget(name: "WarmthRuntimeTests", dependencies: ["WarmthRuntime", "WarmthDomain", "WarmthLua", "WarmthStore", "WarmthData", "WarmthLedger"]),
        .testTarget(name: "WarmthCLITests", dependencies: ["WarmthDomain"]),
        .testTarget(name: "WarmthLedgerTests", dependencies: ["WarmthLedger", "WarmthStorage", "WarmthStore", "WarmthDomain"]),
        .testTarget(name: "WarmthStoreTests", dependencies: ["WarmthStore", "WarmthData", "WarmthDomain", "WarmthLedger"]),
        .testTarget(name: "WarmthSandboxTests", dependencies: ["WarmthRuntime", "WarmthDomain", "WarmthLua", "WarmthStore", "WarmthData"]),
    ],
    swiftLanguageModes: [.v6]
)
