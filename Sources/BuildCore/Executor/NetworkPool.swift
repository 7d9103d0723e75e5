import Foundation

/// A build's network sandboxes, reused from one step to the next as BuildKit pools its network
/// namespaces: setting one up (a namespace, slirp4netns) costs more than the step it serves in
/// many Dockerfiles. A step leaves nothing behind in it: its processes die with its PID
/// namespace, and with BuildKit's capabilities (no CAP_NET_ADMIN) it cannot change addresses,
/// routes or firewall rules. Steps that run at the same time each get their own.
final class NetworkPool: @unchecked Sendable {
    private let directory: String
    private let lock = NSLock()
    private var idle: [NetworkSandbox] = []

    init(directory: String) {
        self.directory = directory
    }

    /// An idle sandbox, or a new one.
    func take() throws(ExecutorError) -> NetworkSandbox {
        lock.lock()
        let reused = idle.popLast()
        lock.unlock()
        if let reused { return reused }
        return try NetworkSandbox(at: directory + "/netns-" + UUID().uuidString.lowercased())
    }

    /// Hands a sandbox back once its step's container is gone.
    func give(_ sandbox: NetworkSandbox) {
        lock.lock()
        idle.append(sandbox)
        lock.unlock()
    }

    deinit {
        for sandbox in idle { sandbox.close() }
    }
}
