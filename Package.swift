// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swbuild",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "swbuild-tui", targets: ["App"]),
        .library(name: "BuildCore", targets: ["BuildCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CNCurses",
            path: "Sources/CNCurses",
            providers: [.apt(["libncurses-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            path: "Sources/CZstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .target(
            name: "CLinux",
            path: "Sources/CLinux"
        ),
        .target(
            name: "BuildCore",
            dependencies: [
                "CZlib", "CZstd", "CLinux",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Sources/BuildCore"
        ),
        .target(
            name: "TUI",
            dependencies: ["BuildCore", "CNCurses"],
            path: "Sources/TUI",
            swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]
        ),
        .executableTarget(
            name: "App",
            dependencies: [
                "BuildCore", "TUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/App",
            // A release binary is linked at a fixed address: no run-time relocation of its
            // 100,000 metadata pointers, about 2 ms off every command's start.
            linkerSettings: [.unsafeFlags(["-Xclang-linker", "-no-pie"], .when(configuration: .release))]
        ),
        .testTarget(name: "BuildCoreTests", dependencies: ["BuildCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                    path: "Tests/BuildCoreTests"),
        .testTarget(name: "TUITests", dependencies: ["TUI", "BuildCore"], path: "Tests/TUITests"),
        .testTarget(name: "AppTests", dependencies: ["BuildCore"], path: "Tests/AppTests"),
    ],
    swiftLanguageModes: [.v6]
)
