import Foundation

/// Where swbuild keeps its state: the cache, images, build history and attach sockets all live
/// below this one directory, so `--root` isolates builds completely (tests rely on it).
public struct StateRoot: Sendable, Equatable {
    public var path: String

    public init(path: String) {
        self.path = (path as NSString).standardizingPath
    }

    /// `--root`, else `SWBUILD_ROOT`, else `/var/lib/swbuild` for root and
    /// `$XDG_DATA_HOME/swbuild` (or `~/.local/share/swbuild`) for other users.
    public static func resolve(flag: String?, environment: [String: String]) -> StateRoot {
        if let flag, !flag.isEmpty { return StateRoot(path: absolute(flag)) }
        if let env = environment["SWBUILD_ROOT"], !env.isEmpty { return StateRoot(path: absolute(env)) }
        if getuid() == 0 { return StateRoot(path: "/var/lib/swbuild") }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return StateRoot(path: xdg + "/swbuild") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return StateRoot(path: home + "/.local/share/swbuild")
    }

    static func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }

    public func subdirectory(_ name: String) -> String { path + "/" + name }
}

/// The version string printed by `--version`.
public enum SwbuildVersion {
    public static let current = "0.1.0"
}
