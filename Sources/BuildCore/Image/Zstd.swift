import Foundation

/// zstd through the `zstd` command-line tool (Debian's `zstd` package), streaming through
/// pipes. There is no libzstd Swift module on this platform, and shelling out keeps the output
/// byte-identical to what `zstd -3` gives anywhere else, which reproducible layers rely on.
/// Every entry point throws `ImageError.toolMissing("zstd")` when the tool is absent.
public enum Zstd {
    /// zstd's default level, the one BuildKit uses for `compression=zstd`.
    public static let defaultLevel = 3

    /// The tool's path, if installed.
    public static var toolPath: String? { CommandSource.locate("zstd") }

    public static var isAvailable: Bool { toolPath != nil }

    public static func compress(fileAt source: String, to destination: String, level: Int = defaultLevel) throws {
        try run(["-q", "-f", "-\(level)", "--no-progress", source, "-o", destination])
    }

    public static func decompress(fileAt source: String, to destination: String) throws {
        try run(["-q", "-f", "-d", "--no-progress", source, "-o", destination])
    }

    static func run(_ arguments: [String]) throws {
        guard let tool = toolPath else { throw ImageError.toolMissing("zstd") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { throw ImageError.toolMissing("zstd") }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ImageError.toolFailed(tool: "zstd", status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
        }
    }

    /// Decompresses a file as a stream (`zstd -dc`), checking the tool's exit status at the end
    /// so a corrupt or truncated blob is an error, not a short tar.
    public static func decompressor(fileAt path: String) throws -> CommandSource {
        guard let tool = toolPath else { throw ImageError.toolMissing("zstd") }
        return try CommandSource(tool: tool, name: "zstd", arguments: ["-q", "-d", "-c", "--no-progress", path])
    }

    /// Compresses a stream into a file (`zstd -c > destination`): bytes written here go to the
    /// tool's stdin; `finish()` closes it and checks the exit status.
    public final class Compressor: ByteSink {
        private let process = Process()
        private let stdin = Pipe()
        private let destination: String
        private var finished = false

        public init(toFileAt destination: String, level: Int = Zstd.defaultLevel) throws {
            guard let tool = Zstd.toolPath else { throw ImageError.toolMissing("zstd") }
            // A dying tool must surface as EPIPE from write(2), not kill this process.
            signal(SIGPIPE, SIG_IGN)
            self.destination = destination
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = ["-q", "-f", "-\(level)", "--no-progress", "-c", "-o", destination]
            process.standardInput = stdin
            process.standardOutput = FileHandle.nullDevice
            do { try process.run() } catch { throw ImageError.toolMissing("zstd") }
        }

        deinit {
            if !finished {
                try? stdin.fileHandleForWriting.close()
                process.waitUntilExit()
            }
        }

        public func write(_ bytes: UnsafeRawBufferPointer) throws {
            try FileSink.writeAll(fd: stdin.fileHandleForWriting.fileDescriptor, bytes, path: "zstd input")
        }

        public func finish() throws {
            guard !finished else { return }
            finished = true
            try? stdin.fileHandleForWriting.close()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw ImageError.toolFailed(tool: "zstd", status: process.terminationStatus, output: "compressing into \(destination)")
            }
        }
    }
}
