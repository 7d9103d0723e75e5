import Foundation
import Testing
@testable import BuildCore

/// BuildKit's own parser test files: the dump must match `result` byte for byte.
@Suite struct ParserConformanceTests {
    static let cases = Fixtures.directories("conformance/parser/testfiles")
    static let negative = Fixtures.directories("conformance/parser/testfiles-negative")

    @Test func fixturesArePresent() {
        #expect(Self.cases.count == 21)
        #expect(Self.negative.count == 2)
    }

    @Test(arguments: cases)
    func dumpMatchesBuildKit(_ name: String) throws {
        let dir = "conformance/parser/testfiles/\(name)"
        let source = try Fixtures.text(dir + "/Dockerfile")
        let expected = try Fixtures.text(dir + "/result")
        let ast = try DockerfileParser.parse(source)
        #expect(ast.dump() == expected)
    }

    @Test(arguments: negative)
    func negativeCasesFailWithALine(_ name: String) throws {
        let source = try Fixtures.text("conformance/parser/testfiles-negative/\(name)/Dockerfile")
        #expect(throws: FrontendError.self) { try DockerfileParser.parse(source) }
        do {
            _ = try DockerfileParser.parse(source, fileName: "Dockerfile")
        } catch {
            #expect(error.location?.line ?? 0 >= 1)
            #expect(error.description.hasPrefix("Dockerfile:"))
        }
    }
}
