import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The builds under one state root on this machine: running ones through their attach sockets,
/// finished ones through their records.
public struct LocalBuildHost: BuildHost {
    public let root: StateRoot

    public init(root: StateRoot) {
        self.root = root
    }

    /// Asks every socket under `<root>/attach` for its status. A socket nobody listens on (its
    /// build was killed) is removed, unless it is brand new (a build may be between bind and
    /// listen).
    public func running() throws -> [RunningBuild] {
        let directory = AttachServer.directory(root)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var builds: [RunningBuild] = []
        for name in names where name.hasSuffix(".sock") {
            let path = directory + "/" + name
            guard let socket = try? UnixSocket.connect(to: path) else {
                removeIfStale(path)
                continue
            }
            socket.setReceiveTimeout(3)
            guard socket.send(Data("status\n".utf8)) else { continue }
            var reply = Data()
            while !reply.contains(UInt8(ascii: "\n")) {
                let chunk = socket.receive()
                if chunk.isEmpty { break }
                reply.append(chunk)
            }
            if let build = RunningBuild.decode(reply) { builds.append(build) }
        }
        return builds.sorted { $0.started < $1.started }
    }

    public func history() throws -> [BuildSummary] {
        try BuildHistory(root).list()
    }

    public func record(_ reference: String) throws -> (id: String, data: Data) {
        let history = BuildHistory(root)
        let id = try history.resolve(reference)
        let url = history.directory.appendingPathComponent(id + "." + BuildRecord.fileExtension)
        do {
            return (id, try Data(contentsOf: url))
        } catch {
            throw HistoryError.io(path: url.path, message: error.localizedDescription)
        }
    }

    public func attach(_ reference: String?) throws -> AttachedBuild {
        let (id, source) = try attachSource(reference)
        switch source {
        case .socket(let socket):
            return AttachedBuild(id: id, live: true, events: EventLineStream.events(from: socket))
        case .record(let data):
            let (stream, continuation) = AsyncStream.makeStream(of: BuildEvent.self)
            for event in BuildRecord.decode(data).events { continuation.yield(event) }
            continuation.finish()
            return AttachedBuild(id: id, live: false, events: stream)
        }
    }

    /// Where `attach` reads from: a connected socket (the `attach` request sent) or a record.
    enum AttachSource {
        case socket(UnixSocket)
        case record(Data)
    }

    func attachSource(_ reference: String?) throws -> (id: String, source: AttachSource) {
        let builds = try running()
        if let build = try runningBuild(matching: reference, in: builds) {
            let path = AttachServer.socketPath(root: root, buildID: build.id)
            if let socket = try? UnixSocket.connect(to: path), socket.send(Data("attach\n".utf8)) {
                return (build.id, .socket(socket))
            }
            // It finished between the status and the attach: its record has everything.
            let (id, data) = try record(build.id)
            return (id, .record(data))
        }
        guard let reference else { throw AttachError.nothingRunning }
        do {
            let (id, data) = try record(reference)
            return (id, .record(data))
        } catch HistoryError.notFound {
            throw AttachError.notFound(reference)
        }
    }

    private func removeIfStale(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFSOCK else { return }
        if Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > 10 { unlink(path) }
    }
}
