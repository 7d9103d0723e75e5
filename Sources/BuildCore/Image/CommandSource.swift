import Foundation

/// The standard output of a command-line tool as a byte stream (`zstd -dc`, `xz -dc`,
/// `bzip2 -dc`), for formats with no library on this platform. The tool's exit status is checked
/// at the end of the stream, so a corrupt or truncated input is an error, not a short read.
public final class CommandSource: ByteSource {
    private let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let name: String
    private var finished = false

    /// Starts `tool` (an absolute path) with `arguments`; `name` is how errors call it. The tool
    /// should keep its stderr short (a quiet flag): it is read only at the end.
    public init(tool: String, name: String, arguments: [String]) throws {
        self.name = name
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { throw ImageError.toolMissing(name) }
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    /// The absolute path of an installed tool: the `PATH` entries first, then the usual places.
    public static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin", "/bin"] {
            let candidate = "\(dir)/\(tool)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished else { return 0 }
        let fd = stdout.fileHandleForReading.fileDescriptor
        while true {
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return n }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw ImageError.posix("read", "\(name) output") }
            finished = true
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let data = stderr.fileHandleForReading.readDataToEndOfFile()
                let message = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                throw ImageError.compression("\(name): " + (message.isEmpty ? "exit status \(process.terminationStatus)" : message))
            }
            return 0
        }
    }
}
