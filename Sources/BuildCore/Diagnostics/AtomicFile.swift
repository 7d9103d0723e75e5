import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over
/// the target, fsync the directory. A reader sees the old file or the new one, never a torn one.
public enum AtomicFile {
    /// `durable: false` skips the fsyncs: still atomic (never torn), but a power cut may lose the
    /// new version. For caches that can be rebuilt.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644, durable: Bool = true) throws {
        let parent = PathText.parent(of: path)
        let dir = parent.isEmpty ? "." : parent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let temp = dir + "/.tmp-" + UUID().uuidString
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var ok = true
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if errno == EINTR { continue }
                    ok = false
                    return
                }
                offset += n
            }
        }
        if ok && durable && fsync(fd) != 0 { ok = false }
        close(fd)
        guard ok else {
            unlink(temp)
            throw POSIXError(.EIO)
        }
        guard rename(temp, path) == 0 else {
            let code = errno
            unlink(temp)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        let dfd = durable ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
