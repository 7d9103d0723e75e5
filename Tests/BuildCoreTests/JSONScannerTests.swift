import Foundation
import Testing
@testable import BuildCore

@Suite struct JSONScannerTests {
    /// Whether `text` is one JSON value for the scanner.
    static func accepts(_ text: String) -> Bool {
        JSONScanner.scan(Array(text.utf8)) { s in
            (try? s.skipValue()) != nil && (try? s.end()) != nil
        }
    }

    static func string(_ json: String) throws -> String {
        try JSONScanner.scan(Array(json.utf8)) { s in
            let value = try s.readString()
            try s.end()
            return value
        }
    }

    @Test func acceptsExactlyJSON() {
        let valid = [
            "{}", "[]", "0", "-0", "1.5e-3", "-12E+4", "123456789012345678901234567890", "true", "false", "null",
            #""""#, #"" é 🚀 ""#, " { \"a\" : [ 1 , { } , [ ] , \"x\" ] , \"b\" : null } ",
            #"{"a":{"a":{"a":[[[[]]]]}}}"#, #""\u00e9\ud83d\ude80\/\b\f\n\r\t\"\\""#,
        ]
        for text in valid { #expect(Self.accepts(text), "\(text)") }
        let invalid = [
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{,}", "[,1]", "{\"a\" 1}", "{a:1}", "{'a':1}", "01", "-", "1.",
            ".5", "1e", "+1", "tru", "nul", "True", "\"abc", "\"a\nb\"", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
            "[1] [2]", "1 2", "{\"a\":1}}", "// c\n1", "NaN", "Infinity", "[1 2]", "{\"a\":1 \"b\":2}",
        ]
        for text in invalid { #expect(!Self.accepts(text), "\(text)") }
        #expect(!JSONScanner.scan([0x22, 0xFF, 0x22]) { s in (try? s.skipValue()) != nil }, "invalid UTF-8")
        #expect(!JSONScanner.scan([0x22, 0xE2, 0x82, 0x22]) { s in (try? s.readString()) != nil }, "truncated UTF-8")
        #expect(!Self.accepts(String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)),
                "too deep is an error, not a crash")
        #expect(Self.accepts(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)))
    }

    @Test func stringsUnescape() throws {
        #expect(try Self.string(#""plain""#) == "plain")
        #expect(try Self.string(#""a\"b\\c\/d\be\ff\ng\rh\ti""#) == "a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti")
        #expect(try Self.string(#""\u0041\u00e9\u65e5\u0000""#) == "Aé日\u{0}")
        #expect(try Self.string(#""\ud83d\ude80 \uD83D\uDE80""#) == "🚀 🚀", "surrogate pairs, either case")
        #expect(try Self.string(#""\ud83d x \ude80 \ud83d""#) == "\u{FFFD} x \u{FFFD} \u{FFFD}", "lone surrogates, as Go")
        #expect(try Self.string("\"ümlaut 🚀 \u{2028}\"") == "ümlaut 🚀 \u{2028}")
        let long = String(repeating: "abcdefgh", count: 100)
        #expect(try Self.string("\"\(long)\"") == long, "the eight-byte path")
        for cut in 0..<20 {
            let text = String(repeating: "x", count: cut) + "\"" + String(repeating: "y", count: 20)
            #expect(try Self.string("\"\(text.replacingOccurrences(of: "\"", with: "\\\""))\"") == text)
        }
        #expect(throws: JSONScanner.SyntaxError.self) { try Self.string("\"tab\tinside\"") }
    }

    @Test func numbers() throws {
        func int(_ text: String) throws -> Int64 {
            try JSONScanner.scan(Array(text.utf8)) { s in try s.readInt64() }
        }
        #expect(try int("0") == 0)
        #expect(try int("-42") == -42)
        #expect(try int("9223372036854775807") == Int64.max)
        #expect(try int("-9223372036854775808") == Int64.min)
        #expect(try int("1e3") == 1000)
        #expect(try int("2.0") == 2)
        #expect(throws: JSONScanner.SyntaxError.self) { try int("1.5") }
        #expect(throws: JSONScanner.SyntaxError.self) { try int("9223372036854775808") }
        #expect(throws: JSONScanner.SyntaxError.self) { try int("012") }
        #expect(throws: JSONScanner.SyntaxError.self) { try int("\"1\"") }
        let doubles = [0.287464159, 1e-7, 5.000001, 123.25, -0.0, 1.7976931348623157e308, 5e-324]
        for d in doubles {
            var writer = JSONWriter()
            writer.double(d)
            let back = try JSONScanner.scan(writer.bytes) { s in try s.readDouble() }
            #expect(back == d && back.sign == d.sign, "\(d)")
        }
        var writer = JSONWriter()
        writer.double(.nan)
        writer.double(-.infinity)
        #expect(writer.bytes == Array("00".utf8), "JSON has no NaN or infinity")
    }

    @Test func objectsAndArraysWalk() throws {
        let text = #"{"vertexes":[{"digest":"x"}],"skip":{"a":[1,2,{"b":null}]},"n":7,"e\u0078":true}"#
        try JSONScanner.scan(Array(text.utf8)) { s in
            var seen: [String] = []
            try s.beginObject()
            while let key = try s.nextKey() {
                seen.append(s.text(of: key))
                if s.key(key, is: "n") { #expect(try s.readInt() == 7) }
                else if s.key(key, is: "ex") { #expect(try s.readBool()) }
                else { try s.skipValue() }
            }
            try s.end()
            #expect(seen == ["vertexes", "skip", "n", "ex"])
        }
    }

    @Test func base64MatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for count in Array(0..<70) + [255, 256, 1000, 4097] {
            let data = Data((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let encoded = Base64.encodedString(data)
            #expect(encoded == data.base64EncodedString())
            let decoded = Array(encoded.utf8).withUnsafeBufferPointer { Base64.decode($0) }
            #expect(decoded == data)
            let unpadded = Array(encoded.utf8.prefix { $0 != UInt8(ascii: "=") })
            #expect(unpadded.withUnsafeBufferPointer { Base64.decode($0) } == data, "padding is optional")
        }
        for bad in ["a", "a===", "ab=c", "ab c", "ab\nc", "ab\"c", "abc\\", "****", "=abc", "ab==ab=="] {
            #expect(Array(bad.utf8).withUnsafeBufferPointer { Base64.decode($0) } == nil, "\(bad)")
        }
    }

    @Test func rawJSONLinesReadLikeJSONDecoder() throws {
        for name in ["example.synthetic.jsonl", "buildkit-ci-build.jsonl"] {
            let text = try Fixtures.text("conformance/rawjson/" + name)
            for line in text.split(separator: "\n") {
                let bytes = Array(line.utf8)
                let scanned = try bytes.withUnsafeBufferPointer { try SolveStatus(jsonLine: $0) }
                #expect(scanned == (try JSONDecoder().decode(SolveStatus.self, from: Data(bytes))))
            }
        }
        let lenient = #"{"vertexes":[{"digest":"d","inputs":null,"x":{"y":[1]}}],"logs":null,"statuses":[{}],"other":1}"#
        let status = try Array(lenient.utf8).withUnsafeBufferPointer { try SolveStatus(jsonLine: $0) }
        #expect(status == (try JSONDecoder().decode(SolveStatus.self, from: Data(lenient.utf8))))
        for rejected in [#"{"vertexes":[{"name":"no digest"}]}"#, #"{"logs":[{"data":"!!"}]}"#,
                         #"{"logs":[{"timestamp":"yesterday"}]}"#, #"{"vertexes":[null]}"#, #"{"logs":[{"stream":"1"}]}"#, "[]"] {
            #expect((try? Array(rejected.utf8).withUnsafeBufferPointer { try SolveStatus(jsonLine: $0) }) == nil, "\(rejected)")
            #expect((try? JSONDecoder().decode(SolveStatus.self, from: Data(rejected.utf8))) == nil, "\(rejected)")
        }
    }

    @Test func fixedFormattingMatchesPrintf() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, 0.0005, 0.0015, 0.125, 0.375, 9.9995, 9.99949, 99.995, 1.0005, 2.675, 1e6, 123456.75,
                                -0.0004, -1.5, .nan, .infinity]
        for _ in 0..<20_000 { values.append(Double.random(in: 0..<200, using: &generator)) }
        for _ in 0..<2_000 { values.append(Double(Int.random(in: 0..<100_000, using: &generator)) / 1000 + 0.0005) }
        for value in values {
            for digits in 1...3 {
                #expect(PlainProgressPrinter.fixed(value, digits: digits) == String(format: "%.\(digits)f", value),
                        "\(value) \(digits)")
            }
        }
    }
}
