import Foundation
import Testing

/// `--label` on a local build: the image config carries it over the Dockerfile's own LABEL, as
/// buildx applies it (checked on the exported OCI archive with skopeo).
@Suite(.serialized) struct LabelFlagTests {
    @Test func labelsFromTheCommandLineWinOverTheDockerfiles() throws {
        guard getuid() == 0 else { Issue.record("builds need root"); return }
        let env = try BuildCommandTests.Env()
        let ctx = try BinaryRunner.directory(["Dockerfile": "FROM busybox:test\nLABEL team=old keep=yes\n"])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("label-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try env.build(["--label", "team=core", "--label", "tier=1", "-o", "type=oci,dest=\(out)"], context: ctx)
        #expect(r.status == 0, "\(r.stderr)")
        let (status, config) = try BuildCommandTests.tool("/usr/bin/skopeo", ["inspect", "--config", "oci-archive:" + out])
        #expect(status == 0, "\(config)")
        let object = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: Any]
        let labels = (object?["config"] as? [String: Any])?["Labels"] as? [String: String]
        #expect(labels == ["team": "core", "tier": "1", "keep": "yes"], "\(config)")
    }
}
