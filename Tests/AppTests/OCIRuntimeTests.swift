import Foundation
import Testing

/// `--oci-runtime crun` (the default where crun is installed) and `--oci-runtime runc` (the
/// fallback): the same steps, mounts and failures through both. On hybrid-cgroup hosts crun must
/// not see the v2 tree; it is hidden in the build's own mount namespace, never on the host.
@Suite(.serialized) struct OCIRuntimeTests {
    static func installed(_ runtime: String) -> Bool {
        ["/usr/bin/", "/usr/sbin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + runtime) }
    }

    static func hostMounts() -> String {
        (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
    }

    @Test(arguments: ["crun", "runc"]) func stepsAndMountsRun(under runtime: String) throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        guard Self.installed(runtime) else { Issue.record("\(runtime) is not installed (scripts/setup.sh installs it)"); return }
        let mountsBefore = Self.hostMounts()
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": """
            FROM busybox:test
            RUN echo layer > /made-by-crun
            RUN --mount=type=cache,target=/cache --mount=type=tmpfs,target=/scratch \\
                echo hit >> /cache/count && wc -l < /cache/count && touch /scratch/x && cat /made-by-crun
            RUN --network=none sh -c 'ip link 2>/dev/null | grep -c "^[0-9]" || ls /sys/class/net | wc -l'

            """])
        let out = try BinaryRunner.directory([:]).path + "/rootfs"
        let first = try env.build(["--oci-runtime", runtime, "-o", "type=local,dest=\(out)"], context: ctx)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains(" layer"))
        #expect(FileManager.default.fileExists(atPath: out + "/made-by-crun"))
        #expect(!FileManager.default.fileExists(atPath: out + "/scratch/x"))
        let again = try env.build(["--oci-runtime", runtime, "--no-cache"], context: ctx)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains(" 2\n"), "the cache mount did not persist: \(again.stderr)")
        #expect(Self.hostMounts().contains("/sys/fs/cgroup/unified") == mountsBefore.contains("/sys/fs/cgroup/unified"),
                "the host's cgroup v2 tree changed")
    }

    @Test(arguments: ["crun", "runc"]) func aFailingStepReportsItsExitCode(under runtime: String) throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        guard Self.installed(runtime) else { Issue.record("\(runtime) is not installed (scripts/setup.sh installs it)"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nRUN exit 7\n"])
        let result = try env.build(["--oci-runtime", runtime], context: ctx)
        #expect(result.status == 1)
        #expect(result.stderr.contains("did not complete successfully: exit code: 7"), "\(result.stderr)")
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: env.root + "/runc")) ?? []
        let containers = leftovers.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: env.root + "/runc/" + $0)) ?? [] }
        #expect(containers.isEmpty, "\(containers)")
    }
}
