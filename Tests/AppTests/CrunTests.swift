import Foundation
import Testing

/// `--oci-runtime crun`: the same steps, mounts and failures as with runc, through crun (which
/// runs in a mount namespace of its own on hybrid-cgroup hosts).
@Suite(.serialized) struct CrunTests {
    static var crunInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/crun") }

    @Test func stepsAndMountsRunUnderCrun() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        guard Self.crunInstalled else { Issue.record("crun is not installed (scripts/setup.sh installs it)"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": """
            FROM busybox:test
            RUN echo layer > /made-by-crun
            RUN --mount=type=cache,target=/cache --mount=type=tmpfs,target=/scratch \\
                echo hit >> /cache/count && wc -l < /cache/count && touch /scratch/x && cat /made-by-crun
            RUN --network=none sh -c 'ip link 2>/dev/null | grep -c "^[0-9]" || ls /sys/class/net | wc -l'

            """])
        let out = try BinaryRunner.directory([:]).path + "/rootfs"
        let first = try env.build(["--oci-runtime", "crun", "-o", "type=local,dest=\(out)"], context: ctx)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains(" layer"))
        #expect(FileManager.default.fileExists(atPath: out + "/made-by-crun"))
        #expect(!FileManager.default.fileExists(atPath: out + "/scratch/x"))
        let again = try env.build(["--oci-runtime", "crun", "--no-cache"], context: ctx)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains(" 2\n"), "the cache mount did not persist: \(again.stderr)")
    }

    @Test func aFailingStepReportsItsExitCode() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        guard Self.crunInstalled else { Issue.record("crun is not installed (scripts/setup.sh installs it)"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN exit 7\n"])
        let result = try env.build(["--oci-runtime", "crun"], context: ctx)
        #expect(result.status == 1)
        #expect(result.stderr.contains("did not complete successfully: exit code: 7"), "\(result.stderr)")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: env.root + "/runc")) ?? []
        let containers = leftovers.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: env.root + "/runc/" + $0)) ?? [] }
        #expect(containers.isEmpty, "\(containers)")
    }
}
