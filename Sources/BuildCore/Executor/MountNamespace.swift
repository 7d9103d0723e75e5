import CLinux
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A build runs in a mount namespace of its own (a slave of the host's: the host's mounts reach
/// it, none of its mounts reach the host). Overlays, bind sources and the tmpfs that holds secret
/// files are then invisible to other processes and are torn down by the kernel when the build
/// ends, however it ends — `kill -9` included — so a secret can never be left on the host.
///
/// A process can only change its mount namespace while it has one thread, which a Swift program
/// past `main` no longer has. So it happens before `main`: a constructor in the CLinux module
/// (`early.c`) unshares the namespace of a `swbuild-tui … build` run as root and sets a flag;
/// the marker variable is set from here, for the processes the build starts. Should that not have happened, `enterPrivate` re-executes the build through
/// util-linux `unshare`, as container tools re-exec into a namespace; the marker stops a loop.
public enum MountNamespace {
    static let marker = "SWBUILD_MOUNT_NAMESPACE"

    /// True when this process already runs in the build's private namespace.
    public static var isPrivate: Bool {
        swb_in_private_mount_namespace() != 0 || ProcessInfo.processInfo.environment[marker] == "private"
    }

    /// Replaces this process with itself inside a private mount namespace; returns only when it
    /// cannot (not root, no `unshare`), leaving the build in the host's namespace.
    public static func enterPrivate() {
        if swb_in_private_mount_namespace() != 0 { setenv(marker, "private", 1) }
        guard geteuid() == 0, !isPrivate else { return }
        let unshare = RuntimeLocator.path(of: "unshare")
        guard access(unshare, X_OK) == 0 else { return }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return }
        let executable = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let arguments = [unshare, "--mount", "--propagation", "slave", "--", executable] + Swift.CommandLine.arguments.dropFirst()
        setenv(marker, "private", 1)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv(unshare, argv)
        // Still here: exec failed. Go on as we are.
        unsetenv(marker)
        for a in argv { free(a) }
    }
}
