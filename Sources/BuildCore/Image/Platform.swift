import Foundation

/// An OCI platform (`linux/amd64`, `linux/arm/v7`).
public struct Platform: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]`; nil when malformed.
    public init?(parsing text: String) {
        let parts = text.lowercased().split(separator: "/").map(String.init)
        guard parts.count >= 2, parts.count <= 3, !parts.contains(where: \.isEmpty) else { return nil }
        self.init(os: parts[0], architecture: Self.normalize(parts[1]), variant: parts.count == 3 ? parts[2] : nil)
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// The machine this process runs on.
    public static var host: Platform {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch machine {
        case "aarch64", "arm64": return Platform(os: "linux", architecture: "arm64")
        case "armv7l": return Platform(os: "linux", architecture: "arm", variant: "v7")
        default: return Platform(os: "linux", architecture: normalize(machine))
        }
    }

    static func normalize(_ arch: String) -> String {
        switch arch {
        case "x86_64", "x86-64": "amd64"
        case "aarch64": "arm64"
        case "i386", "i686": "386"
        default: arch
        }
    }

    /// BuildKit's automatic platform args for a prefix (`TARGET` or `BUILD`).
    public func args(prefix: String) -> [(String, String)] {
        [(prefix + "PLATFORM", description), (prefix + "OS", os), (prefix + "ARCH", architecture),
         (prefix + "VARIANT", variant ?? "")]
    }
}
