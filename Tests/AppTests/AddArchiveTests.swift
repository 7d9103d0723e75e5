import Foundation
import Testing

/// ADD of local archives: unpacked with owners, modes and links, in every compression BuildKit
/// accepts, and never outside the image, even through the image's own symlinks.
@Suite(.serialized) struct AddArchiveTests {
    /// Writes archives with Python's tarfile, which can also write hostile ones.
    static func makeArchives(in dir: URL) throws {
        let script = """
            import io, tarfile, gzip, lzma, sys
            d = sys.argv[1]
            def add(t, name, data=None, **kw):
                info = tarfile.TarInfo(name)
                for k, v in kw.items(): setattr(info, k, v)
                if data is not None: info.size = len(data)
                t.addfile(info, io.BytesIO(data) if data is not None else None)
            def good(t):
                add(t, "app", type=tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000)
                add(t, "app/run.sh", b"#!/bin/sh\\necho run\\n", mode=0o755, uid=1000, gid=1000, mtime=1234567890)
                add(t, "app/link", type=tarfile.SYMTYPE, linkname="run.sh")
                add(t, "app/hard", type=tarfile.LNKTYPE, linkname="app/run.sh")
            with tarfile.open(d + "/good.tar.gz", "w:gz") as t: good(t)
            with tarfile.open(d + "/good.tar.xz", "w:xz") as t: good(t)
            with tarfile.open(d + "/good.tar", "w") as t: good(t)
            with gzip.open(d + "/notes.txt.gz", "wb") as f: f.write(b"just text\\n")
            with tarfile.open(d + "/links.tar", "w") as t:
                add(t, "root", type=tarfile.SYMTYPE, linkname="/")
                add(t, "root/etc/swbuild-escape-test", b"inside\\n", mode=0o644)
            with tarfile.open(d + "/dotdot.tar", "w") as t:
                add(t, "../../swbuild-dotdot-test", b"x", mode=0o644)
            """
        let (status, output) = try BuildCommandTests.tool("/usr/bin/python3", ["-c", script, dir.path])
        guard status == 0 else { throw BuildCommandTests.TestFailure(output) }
    }

    @Test func archivesAreUnpackedWithTheirMetadata() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": """
            FROM busybox:test
            ADD good.tar.gz /gz/
            ADD good.tar.xz /xz
            ADD good.tar /plain/
            ADD notes.txt.gz /notes/
            ADD links.tar /deep/
            RUN stat -c '%a %u:%g %Y' /gz/app/run.sh /gz/app && readlink /gz/app/link && \\
                stat -c '%h' /gz/app/hard && /xz/app/run.sh && ls /plain/app && ls /notes && \\
                cat /etc/swbuild-escape-test

            """])
        try Self.makeArchives(in: ctx)
        let out = try BinaryRunner.directory([:]).path + "/rootfs"
        let result = try env.build(["-o", "type=local,dest=\(out)"], context: ctx)
        #expect(result.status == 0, "\(result.stderr)")
        for needle in ["755 1000:1000 1234567890", "750 1000:1000", "run.sh\n", " 2\n", " run\n", "notes.txt.gz", " inside"] {
            #expect(result.stderr.contains(needle), "\(needle) not in \(result.stderr)")
        }
        // The archive's link to / meant the image's root, never the host's.
        #expect(!FileManager.default.fileExists(atPath: "/etc/swbuild-escape-test"))
        #expect(FileManager.default.fileExists(atPath: out + "/etc/swbuild-escape-test"))
    }

    @Test func anEntryClimbingOutIsRefused() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nADD dotdot.tar /x/\n"])
        try Self.makeArchives(in: ctx)
        let result = try env.build([], context: ctx)
        #expect(result.status == 1)
        #expect(result.stderr.contains("points outside the destination"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/swbuild-dotdot-test"))
    }
}
