import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One process to run in a container over a prepared root filesystem.
public struct ExecRequest: Sendable {
    public var op: ExecOp
    /// The merged, writable root filesystem (an overlay the caller mounted).
    public var rootfs: String
    public var mounts: [PreparedMount]
    /// Extra environment that must never be logged or recorded (secret `env=` values).
    public var secretEnvironment: [String]
    public var hostname: String = "buildkitsandbox"

    public init(op: ExecOp, rootfs: String, mounts: [PreparedMount] = [], secretEnvironment: [String] = []) {
        self.op = op
        self.rootfs = rootfs
        self.mounts = mounts
        self.secretEnvironment = secretEnvironment
    }
}

/// A mount as the runtime receives it: host paths already prepared by the solver.
public struct PreparedMount: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case bind, tmpfs(sizeBytes: Int64?) }
    public var kind: Kind
    public var source: String
    public var target: String
    public var readOnly: Bool

    /// A bind whose source is a directory (or not there yet) mounts over a directory; one of a
    /// file or socket (a secret, an ssh agent) over a file.
    var sourceIsDirectory: Bool {
        guard case .bind = kind else { return true }
        var st = stat()
        return stat(source, &st) != 0 || (st.st_mode & S_IFMT) == S_IFDIR
    }

    public init(kind: Kind, source: String, target: String, readOnly: Bool) {
        self.kind = kind
        self.source = source
        self.target = target
        self.readOnly = readOnly
    }
}

/// Runs RUN steps. The product's executor is `RuncExecutor` (real containers); tests may use a
/// scripted one. Output is delivered as it comes: stream 1 is stdout, 2 is stderr, one call at a
/// time per stream. Every `output` call has returned by the time `run` returns or throws, so the
/// caller can then release what it held back of the output.
public protocol Executor: Sendable {
    func run(_ request: ExecRequest, output: @escaping @Sendable (Int, Data) -> Void) async throws(ExecutorError)
}
