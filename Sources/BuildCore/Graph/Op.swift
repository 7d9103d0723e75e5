import Foundation

/// One operation of the build graph (BuildKit's LLB op). Ops are pure descriptions: what to run or
/// copy and with which options. Their digest is taken over `canonical` plus their inputs, so equal
/// ops on equal inputs are one vertex, and anything that changes the result changes the digest.
public enum Op: Sendable, Equatable {
    case source(SourceOp)
    case exec(ExecOp)
    case file(FileOp)
    case merge

    public var kind: String {
        switch self {
        case .source: "source"
        case .exec: "exec"
        case .file: "file"
        case .merge: "merge"
        }
    }
}

/// Where files come from: nothing (`scratch`), an image, or the local build context.
public enum SourceOp: Sendable, Equatable {
    case scratch
    case image(reference: String, platform: Platform)
    /// A local directory sent by the client; `excludes` are the `.dockerignore` patterns.
    case local(name: String, excludes: [String])
    /// A file fetched over HTTP(S) by ADD; `checksum` pins its content when given.
    case http(url: String, checksum: String?, filename: String)
}

/// A process run in a container over the first input (the root filesystem).
public struct ExecOp: Sendable, Equatable {
    /// True when input 0 is the root filesystem; false runs on an empty root (FROM scratch).
    public var hasRoot: Bool
    public var args: [String]
    public var env: [String]
    public var cwd: String
    public var user: String
    public var network: NetworkMode
    public var security: SecurityMode
    /// Extra mounts, in the order the instruction gave them.
    public var mounts: [ExecMount]

    public init(hasRoot: Bool, args: [String], env: [String], cwd: String, user: String, network: NetworkMode = .default,
                security: SecurityMode = .sandbox, mounts: [ExecMount] = []) {
        self.hasRoot = hasRoot
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = user
        self.network = network
        self.security = security
        self.mounts = mounts
    }
}

/// One `RUN --mount`, bound to an input of the exec vertex when it reads from one.
public struct ExecMount: Sendable, Equatable {
    public var spec: MountSpec
    /// Index into the vertex's inputs for bind mounts (and cache `from=`), nil otherwise.
    public var input: Int?
}

/// File operations applied in order on the first input (BuildKit's FileOp).
public struct FileOp: Sendable, Equatable {
    /// True when input 0 is the filesystem the actions modify; false to start from an empty one.
    public var hasBase: Bool
    public var actions: [FileAction]

    public init(hasBase: Bool, actions: [FileAction]) {
        self.hasBase = hasBase
        self.actions = actions
    }
}

public enum FileAction: Sendable, Equatable {
    case copy(CopyAction)
    case mkdir(path: String, mode: UInt32, makeParents: Bool, owner: String?)
    case mkfile(path: String, mode: UInt32, contentDigest: Digest, content: String, owner: String?)
    case rm(path: String, allowNotFound: Bool)
}

/// Copy `source` (a path or wildcard in input `input`) to `destination` in the first input.
public struct CopyAction: Sendable, Equatable {
    public var input: Int
    public var source: String
    public var destination: String
    public var owner: String?
    public var mode: String?
    public var followSymlinks: Bool = true
    public var copyDirectoryContents: Bool = true
    public var createDestinationPath: Bool = true
    public var allowWildcard: Bool = true
    public var allowEmptyWildcard: Bool = false
    /// ADD: unpack local tar archives.
    public var attemptUnpack: Bool = false
    public var parents: Bool = false
    public var excludes: [String] = []
    /// ADD of a URL: the expected checksum.
    public var checksum: String?
}
