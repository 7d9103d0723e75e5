import Foundation
import Testing
@testable import BuildCore

@Suite("Tar and gzip")
struct TarTests {
    static func archive(_ entries: [(TarEntry, Data)], epoch: Int64? = nil) throws -> Data {
        let sink = DataSink()
        let writer = TarWriter(sink: sink, sourceDateEpoch: epoch)
        for (entry, data) in entries { try writer.write(entry, data: data) }
        try writer.finish()
        return sink.data
    }

    /// An archive with one regular file whose header name is exactly `name` (the writer would
    /// clean it), for hostile-archive tests.
    static func rawArchive(name: String, data: Data) -> Data {
        var out = Data(TarWriter.header(name: name, mode: 0o644, uid: 0, gid: 0, size: Int64(data.count), mtime: 0,
                                        type: UInt8(ascii: "0"), link: "", user: "", group: "", major: 0, minor: 0))
        out.append(data)
        out.append(Data(repeating: 0, count: (512 - data.count % 512) % 512 + 1024))
        return out
    }

    static func read(_ data: Data) throws -> [(TarEntry, Data)] {
        let reader = TarReader(DataSource(data))
        var out: [(TarEntry, Data)] = []
        while let entry = try reader.next() { out.append((entry, try reader.readData())) }
        return out
    }

    @Test func roundTripsEveryKind() throws {
        let long = String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 150)
        var withXattr = TarEntry.file("bin/ping", size: 0, mode: 0o4755, mtime: 1_700_000_000)
        withXattr.xattrs = ["security.capability": Data([1, 0, 0, 2, 0x20, 0, 0, 0]), "user.note": Data("hé".utf8)]
        var big = TarEntry(path: "owner", kind: .file, uid: 3_000_000, gid: 70_000_000)
        big.userName = "someone-with-a-very-long-user-name-over-32"
        let entries: [(TarEntry, Data)] = [
            (.directory("etc", mode: 0o755, mtime: 5), Data()),
            (TarEntry.file("etc/passwd", size: 0, mode: 0o644, mtime: 6), Data("root:x:0:0::/root:/bin/sh\n".utf8)),
            (TarEntry.symlink("bin/sh", to: "/bin/busybox"), Data()),
            (TarEntry(path: "etc/passwd-", kind: .hardlink, linkTarget: "etc/passwd"), Data()),
            (TarEntry(path: "dev/null", kind: .characterDevice, mode: 0o666, deviceMajor: 1, deviceMinor: 3), Data()),
            (TarEntry(path: "dev/sda", kind: .blockDevice, mode: 0o660, deviceMajor: 8, deviceMinor: 0), Data()),
            (TarEntry(path: "run/fifo", kind: .fifo, mode: 0o600), Data()),
            (TarEntry.file(long, size: 0), Data(repeating: 7, count: 1000)),
            (TarEntry.symlink("link", to: String(repeating: "t/", count: 80)), Data()),
            (withXattr, Data("x".utf8)),
            (TarEntry.file("ünïcode/名前", size: 0), Data("u".utf8)),
            (big, Data()),
        ]
        let decoded = try Self.read(try Self.archive(entries))
        #expect(decoded.count == entries.count)
        for ((want, wantData), (got, gotData)) in zip(entries, decoded) {
            #expect(got.cleanPath == want.cleanPath)
            #expect(got.kind == want.kind)
            #expect(got.mode == want.mode)
            #expect(got.uid == want.uid && got.gid == want.gid)
            #expect(got.mtime == want.mtime)
            #expect(got.linkTarget == want.linkTarget)
            #expect(got.deviceMajor == want.deviceMajor && got.deviceMinor == want.deviceMinor)
            #expect(got.xattrs == want.xattrs)
            #expect(got.userName == want.userName)
            #expect(gotData == wantData)
        }
    }

    @Test func largeSizeUsesPaxAndStaysReadable() throws {
        // Only the header is checked: 9 GiB of data is not written.
        let header = TarWriter.header(name: "x", mode: 0o644, uid: 0, gid: 0, size: 9 << 30, mtime: 0, type: 48,
                                      link: "", user: "", group: "", major: 0, minor: 0)
        #expect(header.count == 512)
        let sink = DataSink()
        let writer = TarWriter(sink: sink)
        try writer.writeHeader(TarEntry.file("huge", size: 9 << 30))
        let records = String(decoding: sink.data.prefix(1024).suffix(512), as: UTF8.self)
        #expect(records.contains("size=9663676416"))
        // The PAX record wins over the zeroed ustar field.
        let reader = TarReader(DataSource(sink.data + Data(repeating: 0, count: 512)))
        let entry = try reader.next()
        #expect(entry?.size == 9 << 30)
    }

    @Test func deterministicWithSourceDateEpoch() throws {
        let a = try Self.archive([(TarEntry.file("a", size: 0, mtime: 2_000_000_000), Data("1".utf8))], epoch: 1_000)
        let b = try Self.archive([(TarEntry.file("a", size: 0, mtime: 1_999_999_999), Data("1".utf8))], epoch: 1_000)
        #expect(a == b)
        #expect(try Self.read(a)[0].0.mtime == 1_000)
        let older = try Self.archive([(TarEntry.file("a", size: 0, mtime: 10), Data("1".utf8))], epoch: 1_000)
        #expect(try Self.read(older)[0].0.mtime == 10)
    }

    @Test func rejectsCorruptAndTruncatedArchives() throws {
        var data = try Self.archive([(TarEntry.file("a", size: 0), Data(repeating: 1, count: 2000))])
        data[148] = UInt8(ascii: "7")   // break the checksum
        #expect(throws: ImageError.self) { try Self.read(data) }
        let good = try Self.archive([(TarEntry.file("a", size: 0), Data(repeating: 1, count: 2000))])
        #expect(throws: ImageError.self) { try Self.read(good.prefix(1200)) }
        #expect(throws: ImageError.self) { try Self.read(Data("not a tar archive at all".utf8) + Data(repeating: 1, count: 600)) }
    }

    @Test func systemTarReadsOurArchiveAndWeReadTheirs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-tar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let long = "deep/" + String(repeating: "n", count: 140)
        let data = try Self.archive([(.directory("deep"), Data()), (TarEntry.file(long, size: 0), Data("hello".utf8)),
                                     (TarEntry.symlink("s", to: "deep"), Data())])
        try data.write(to: URL(fileURLWithPath: dir + "/ours.tar"))
        let listing = try ToolRun.run("tar", ["-tvf", dir + "/ours.tar"])
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.contains(long))
        // GNU tar's own format (long names as GNU 'L' entries) reads back.
        try FileManager.default.createDirectory(atPath: dir + "/src/" + String(repeating: "g", count: 120), withIntermediateDirectories: true)
        try Data("gnu".utf8).write(to: URL(fileURLWithPath: dir + "/src/" + String(repeating: "g", count: 120) + "/file"))
        let made = try ToolRun.run("tar", ["--format=gnu", "-cf", dir + "/gnu.tar", "-C", dir + "/src", "."])
        #expect(made.status == 0)
        let entries = try Self.read(try Data(contentsOf: URL(fileURLWithPath: dir + "/gnu.tar")))
        #expect(entries.contains { $0.0.cleanPath.hasSuffix("/file") && $0.1 == Data("gnu".utf8) })
    }

    @Test func gzipRoundTripIsDeterministicAndInteroperable() throws {
        let input = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) })
        let once = try Gzip.compress(input)
        let twice = try Gzip.compress(input)
        #expect(once == twice)
        #expect(once[0] == 0x1f && once[1] == 0x8b)
        #expect(once[4..<8].allSatisfy { $0 == 0 })   // mtime 0
        #expect(once[3] & 0x08 == 0)                     // no file name
        #expect(try Gzip.decompress(once) == input)
        let tail = try Gzip.compress(Data("tail".utf8))
        #expect(try Gzip.decompress(once + tail) == input + Data("tail".utf8))
        let fast = try Gzip.compress(input, level: 1), small = try Gzip.compress(input, level: 9)
        #expect(fast.count > small.count)
        #expect(throws: ImageError.self) { try Gzip.decompress(once.prefix(once.count - 10)) }
        #expect(throws: ImageError.self) { try Gzip.compress(input, level: 12) }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("swbuild-gz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try input.write(to: URL(fileURLWithPath: dir + "/in"))
        try Gzip.compress(fileAt: dir + "/in", to: dir + "/in.gz")
        let gunzip = try ToolRun.run("gzip", ["-t", dir + "/in.gz"])
        #expect(gunzip.status == 0, "gzip -t: \(gunzip.stderr)")
        try Gzip.decompress(fileAt: dir + "/in.gz", to: dir + "/out")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out")) == input)
    }
}
