import Foundation

extension Data {
    /// How many times `byte` occurs, found with `memchr` (a flooding log's newlines, a file's
    /// lines) rather than byte by byte.
    public func occurrences(of byte: UInt8) -> Int {
        withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return 0 }
            var left = raw.count, n = 0
            while left > 0, let hit = memchr(p, Int32(byte), left) {
                n += 1
                let next = UnsafeRawPointer(hit) + 1
                left -= next - p
                p = next
            }
            return n
        }
    }
}
