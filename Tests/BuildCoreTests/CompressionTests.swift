import Foundation
import Testing
@testable import BuildCore

/// Layer compression: gzip on every core (pigz-style blocks under one member) and zstd through
/// libzstd. Both must give the same bytes every time, and bytes other tools read.
@Suite struct CompressionTests {
    /// Text that compresses (and repeats across block boundaries), mixed with noise that does not.
    static func sample(_ count: Int, seed: UInt64 = 7) -> Data {
        var state = seed
        var bytes = [UInt8](repeating: 0, count: count)
        let words = Array("the layer of a step, compressed on every core; ".utf8)
        for i in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = (i / 4096) % 3 == 0 ? UInt8(truncatingIfNeeded: state >> 33) : words[i % words.count]
        }
        return Data(bytes)
    }

    /// Runs a system tool on `input` and returns its standard output.
    static func tool(_ path: String, _ arguments: [String], input: Data) throws -> (status: Int32, output: Data) {
        let directory = TempDirectory("compression")
        let file = directory.path + "/in"
        try input.write(to: URL(fileURLWithPath: file))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments + [file]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(arguments: [0, 1, 100, ParallelGzip.threshold - 1])
    func shortStreamsAreZlibsOwnBytes(size: Int) throws {
        let input = Self.sample(size)
        #expect(try ParallelGzip.compress(input) == Gzip.compress(input))
    }

    @Test(arguments: [ParallelGzip.threshold, ParallelGzip.threshold + 12_345, 5 * (1 << 20) + 77])
    func longStreamsAreOneValidMemberAndReproducible(size: Int) throws {
        let input = Self.sample(size)
        let packed = try ParallelGzip.compress(input)
        #expect(try Gzip.decompress(packed, limit: 1 << 26) == input)
        #expect(try ParallelGzip.compress(input) == packed, "not reproducible")
        #expect(packed.count < input.count * 3 / 4, "the blocks lost zlib's ratio: \(packed.count) of \(input.count)")
        // One member, as gzip(1) reads it, with the right CRC and length.
        let gunzip = try Self.tool("/bin/gzip", ["-d", "-c"], input: packed)
        #expect(gunzip.status == 0 && gunzip.output == input)
        // Written in many small pieces: the same bytes.
        let sink = DataSink()
        let compressor = try ParallelGzip.Compressor(forwardingTo: sink)
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + 9_999)
            try compressor.write(input[offset..<end])
            offset = end
        }
        try compressor.finish()
        #expect(sink.data == packed)
    }

    @Test func zstdRoundTripsAndOtherToolsReadIt() throws {
        let input = Self.sample(3 * (1 << 20) + 5)
        let packed = try Zstd.compress(input)
        #expect(try Zstd.decompress(packed, limit: 1 << 26) == input)
        #expect(try Zstd.compress(input) == packed, "not reproducible")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/zstd") {
            let unzstd = try Self.tool("/usr/bin/zstd", ["-q", "-d", "-c"], input: packed)
            #expect(unzstd.status == 0 && unzstd.output == input)
        }
        // Two frames one after the other are one stream.
        let second = try Zstd.compress(Data("tail".utf8))
        #expect(try Zstd.decompress(packed + second, limit: 1 << 26) == input + Data("tail".utf8))
    }

    @Test func zstdRefusesTruncatedAndForeignBytes() throws {
        let packed = try Zstd.compress(Self.sample(200_000))
        #expect(throws: ImageError.self) { try Zstd.decompress(packed.prefix(packed.count / 2)) }
        #expect(throws: ImageError.self) { try Zstd.decompress(Data("not zstd at all".utf8)) }
        #expect(throws: ImageError.self) { try Zstd.decompress(Data()) }
    }
}
