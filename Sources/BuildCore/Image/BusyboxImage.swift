import Foundation

/// A real, tiny base image made from the host's static busybox (Debian's `busybox-static`):
/// one layer with `/bin/busybox` and a symlink per applet in `/bin` (so `/bin/sh` exists),
/// `/etc/passwd` and `/etc/group` (root, nobody), `/tmp` (1777), `/root` and `/var`; config
/// `PATH` and `Cmd ["sh"]`. Tests and the demo build `FROM` it without any registry.
///
/// Deterministic: every entry has the mtime `sourceDateEpoch`, owners are 0/0, entries are
/// sorted, so the same busybox binary always yields the same manifest digest.
public struct BusyboxImage: Sendable {
    public var busyboxPath: String
    public var sourceDateEpoch: Int64
    public var platform: Platform

    public static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    public init(busyboxPath: String = "/bin/busybox", sourceDateEpoch: Int64 = 0, platform: Platform = .host) {
        self.busyboxPath = busyboxPath
        self.sourceDateEpoch = sourceDateEpoch
        self.platform = platform
    }

    /// Builds the image into `store` and tags it `name`; returns what was exported.
    @discardableResult
    public func build(into store: ImageStore, name: String = "busybox:demo",
                      compression: LayerCompression = .gzip) throws -> ExportedImage {
        let layers = store.layerStore
        let applets = try Self.applets(of: busyboxPath)
        let staged = try layers.makeWorkDirectory("busybox") + "/layer.tar"
        defer { try? FileAttributes.removeTree(PathText.parent(of: staged)) }
        try writeLayer(to: staged, applets: applets)
        let id = try layers.importLayer(blobAt: staged, compression: LayerCompression.none)
        let created = CanonicalJSON.timestamp(sourceDateEpoch)
        let config = ImageConfig(
            platform: platform,
            config: ImageConfig.ContainerConfig(env: ["PATH=" + Self.path], cmd: ["sh"]),
            created: created,
            history: [ImageConfig.History(created: created, createdBy: "swbuild: busybox from \(busyboxPath)",
                                          comment: "\(applets.count) applets")])
        let exported = try ImageExporter(layerStore: layers).export(layers: [id], config: config, compression: compression,
                                                                     sourceDateEpoch: sourceDateEpoch)
        try store.tag(name, manifest: exported.manifest)
        return exported
    }

    /// The layer tar: sorted entries, fixed owners and mtimes.
    func writeLayer(to path: String, applets: [String]) throws {
        let binary = try FileAttributes.read(busyboxPath)
        guard binary.kind == .file else { throw ImageError.invalidImage("\(busyboxPath) is not a regular file") }
        let t = sourceDateEpoch
        var entries: [(TarEntry, Data?)] = [
            (.directory("bin", mtime: t), nil),
            (.directory("etc", mtime: t), nil),
            (TarEntry.file("etc/group", size: 0, mtime: t), Data("root:x:0:\nnobody:x:65534:\n".utf8)),
            (TarEntry.file("etc/passwd", size: 0, mtime: t),
             Data("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".utf8)),
            (.directory("root", mode: 0o700, mtime: t), nil),
            (.directory("tmp", mode: 0o1777, mtime: t), nil),
            (.directory("var", mtime: t), nil),
        ]
        for applet in applets where applet != "busybox" {
            entries.append((TarEntry.symlink("bin/" + applet, to: "busybox", mtime: t), nil))
        }
        entries.sort { Array($0.0.path.utf8).lexicographicallyPrecedes(Array($1.0.path.utf8)) }
        let tar = TarWriter(sink: try FileSink(path: path), sourceDateEpoch: t)
        var wroteBinary = false
        for (entry, data) in entries {
            // bin/busybox goes in its sorted place among the applet links.
            if !wroteBinary && entry.path.hasPrefix("bin/") && entry.path > "bin/busybox" {
                try tar.write(TarEntry.file("bin/busybox", size: binary.size, mode: 0o755, mtime: t),
                              contentsOf: FileSource(path: busyboxPath))
                wroteBinary = true
            }
            try tar.write(entry, data: data ?? Data())
        }
        if !wroteBinary {
            try tar.write(TarEntry.file("bin/busybox", size: binary.size, mode: 0o755, mtime: t),
                          contentsOf: FileSource(path: busyboxPath))
        }
        try tar.finish()
    }

    /// `busybox --list`: applet names, one per line, validated as plain file names.
    static func applets(of busybox: String) throws -> [String] {
        guard access(busybox, X_OK) == 0 else { throw ImageError.toolMissing("busybox (\(busybox); install busybox-static)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: busybox)
        process.arguments = ["--list"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw ImageError.toolMissing("busybox (\(busybox))") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ImageError.toolFailed(tool: "busybox --list", status: process.terminationStatus, output: "")
        }
        let names = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.isEmpty && !$0.contains("/") && $0 != "." && $0 != ".." }
        guard names.contains("sh") else { throw ImageError.invalidImage("\(busybox) has no sh applet") }
        return Array(Set(names)).sorted()
    }
}
