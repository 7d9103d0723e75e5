import Foundation
import Testing
@testable import BuildCore

/// Secret masking: the same result however the output is cut into reads, nothing held that
/// cannot begin a secret, nothing lost when the stream ends.
@Suite struct SecretMaskerTests {
    /// `hunter22\n` is also masked as `hunter22`; `xyzxy` overlaps itself; `[hunter22]` holds
    /// another secret; `zz` is too short to be masked.
    static let masker = SecretMasker(secrets: ["hunter22\n", "xyzxy", "[hunter22]", "zz"].map { Data($0.utf8) })

    static let text = "token=hunter22 ok\n" + "hunter22\n" + "hunter22hunter22 " + "xyzxyzxy " + "[hunter22] "
        + "zz hunter2 xyzx [hunter " + "ends with hunter22"
    static let masked = "token=**** ok\n" + "****" + "******** " + "**** " + "**** "
        + "zz hunter2 xyzx [hunter " + "ends with ****"

    /// Feeds `pieces` through one stream and returns everything it released.
    static func mask(_ pieces: [ArraySlice<UInt8>]) -> String {
        var stream = SecretMasker.Stream(masker)
        var out = Data()
        for piece in pieces { out += stream.mask(Data(piece)) }
        out += stream.finish()
        return String(decoding: out, as: UTF8.self)
    }

    @Test func sameResultWhereverTheOutputIsCut() {
        let bytes = Array(Self.text.utf8)
        #expect(Self.mask([bytes[...]]) == Self.masked)
        for a in 0...bytes.count {
            #expect(Self.mask([bytes[..<a], bytes[a...]]) == Self.masked, "cut at \(a)")
            for b in a...bytes.count where Self.mask([bytes[..<a], bytes[a..<b], bytes[b...]]) != Self.masked {
                Issue.record("cut at \(a) and \(b)")
            }
        }
        #expect(Self.mask(bytes.map { [$0][...] }) == Self.masked)
    }

    @Test func holdsBackOnlyWhatCouldBeginASecret() {
        var stream = SecretMasker.Stream(Self.masker)
        func feed(_ text: String) -> String { String(decoding: stream.mask(Data(text.utf8)), as: UTF8.self) }
        #expect(feed("token=sup") == "token=sup")
        #expect(feed("token=hun") == "token=")
        #expect(feed("ter22") == "")
        #expect(feed(" ok\n") == "**** ok\n")
        #expect(feed("xyzxy") == "****")
        #expect(feed("zxy, [hunter22") == ", ")
        #expect(feed("] done") == "**** done")
        #expect(feed("last words: hunt") == "last words: ")
        #expect(String(decoding: stream.finish(), as: UTF8.self) == "hunt")
        #expect(stream.finish().isEmpty)
    }

    /// Masking reads the output once, never its own `****`: a secret of stars cannot make it loop.
    @Test func aSecretOfStarsIsMaskedOnce() {
        var stream = SecretMasker.Stream(SecretMasker(secrets: [Data("***".utf8)]))
        let out = stream.mask(Data("a***b****".utf8)) + stream.finish()
        #expect(String(decoding: out, as: UTF8.self) == "a****b****")
    }

    @Test func eachStreamIsMaskedOnItsOwnAndReleasedAtTheEnd() {
        let collected = Collected()
        let output = MaskedOutput(masker: Self.masker) { stream, data in collected.append(stream, data) }
        output.write(1, Data("id=hun".utf8))
        output.write(2, Data("error: [hun".utf8))
        output.write(1, Data("ter22 and xyz".utf8))
        output.write(2, Data("ter22".utf8))
        output.finish()
        #expect(collected.chunks.map { "\($0.0):\($0.1)" } == ["1:id=", "2:error: ", "1:**** and ", "1:xyz", "2:[****"])
    }

    @Test func withoutSecretsOutputPassesThrough() {
        let masker = SecretMasker(secrets: [Data("zz".utf8), Data(" \n".utf8)])
        #expect(masker.isEmpty)
        let collected = Collected()
        let output = MaskedOutput(masker: masker) { stream, data in collected.append(stream, data) }
        output.write(1, Data("zz hun".utf8))
        output.write(2, Data("ter22".utf8))
        output.finish()
        #expect(collected.chunks.map { "\($0.0):\($0.1)" } == ["1:zz hun", "2:ter22"])
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [(Int, String)] = []
        func append(_ stream: Int, _ data: Data) { lock.withLock { list.append((stream, String(decoding: data, as: UTF8.self))) } }
        var chunks: [(Int, String)] { lock.withLock { list } }
    }
}
