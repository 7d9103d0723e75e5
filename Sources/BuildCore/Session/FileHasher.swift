import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of files, streamed in 1 MiB reads, several files at a time.
enum FileHasher {
    static func hash(_ paths: [String], jobs: Int) async throws -> [String] {
        if paths.isEmpty { return [] }
        return try await withThrowingTaskGroup(of: (Int, String).self) { group in
            var results = Array(repeating: "", count: paths.count)
            var next = 0
            func add(_ group: inout ThrowingTaskGroup<(Int, String), Error>) {
                let i = next
                next += 1
                group.addTask { (i, try hashFile(paths[i])) }
            }
            for _ in 0..<min(jobs, paths.count) { add(&group) }
            while let (i, digest) = try await group.next() {
                results[i] = digest
                if next < paths.count {
                    try Task.checkCancellation()
                    add(&group)
                }
            }
            return results
        }
    }

    static func hashFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FrontendError(.io, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256()
        let size = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, size)
            if n < 0 {
                if errno == EINTR { continue }
                throw FrontendError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return "sha256:" + Digest.lowercaseHex(hasher.finalize())
    }
}
