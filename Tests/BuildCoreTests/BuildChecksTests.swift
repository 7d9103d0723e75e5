import Foundation
import Testing
@testable import BuildCore

/// BuildKit's build-check expectations (Tests/Fixtures/checks), run through `BuildChecker` in both
/// of BuildKit's paths: a build (reachable stages) and `--call=check` (every stage).
@Suite struct BuildChecksTests {
    struct Expected: Decodable {
        var warnings: [ExpectedWarning]
        var error: String?
        var failsWhenSolving: Bool?
    }

    struct ExpectedWarning: Decodable, Equatable, CustomStringConvertible {
        var rule: String
        var description: String
        var url: String
        var detail: String
        var level: Int
        var line: Int
        var text: String { "\(rule) line \(line): \(detail)" }
    }

    struct Facts: Decodable { var platform: String? }

    struct Case: Decodable {
        var name: String
        var dockerfile: String
        var dockerignore: String?
        var buildArgs: [String: String]?
        var platform: String?
        var baseImages: [String: Facts]?
        var build: Expected
        var check: Expected
    }

    struct Fixture: Decodable { var cases: [Case] }

    static func cases() throws -> [Case] {
        let data = try Data(contentsOf: Fixtures.url("checks/buildkit-lint-cases.json"))
        return try JSONDecoder().decode(Fixture.self, from: data).cases
    }

    static func report(_ c: Case, allStages: Bool) -> CheckReport {
        var options = CheckOptions()
        options.allStages = allStages
        options.buildArgs = c.buildArgs ?? [:]
        let platform = c.platform.flatMap(Platform.init(parsing:)) ?? Platform(os: "linux", architecture: "amd64")
        options.targetPlatform = platform
        options.buildPlatform = platform
        if let ignore = c.dockerignore { options.ignorePatterns = DockerignoreFile.parse(ignore) }
        for (name, facts) in c.baseImages ?? [:] {
            options.baseImages[name] = BaseImageFacts(platform: facts.platform.flatMap(Platform.init(parsing:)))
        }
        return BuildChecker(options: options).check(c.dockerfile)
    }

    /// The differences between what BuildKit expects and what the checker says (empty: agreement).
    static func differences(_ c: Case, _ expected: Expected, allStages: Bool) -> [String] {
        let report = report(c, allStages: allStages)
        let got = report.warnings.map { w in
            ExpectedWarning(rule: w.rule.name, description: w.rule.description, url: w.rule.url, detail: w.detail, level: 1, line: w.startLine)
        }
        var out: [String] = []
        // BuildKit's own test compares the lint request's warnings without their lines (and one
        // of its expectations has lines that are off); the build path compares them.
        let order: (ExpectedWarning, ExpectedWarning) -> Bool = { ($0.line, $0.detail) < ($1.line, $1.detail) }
        if allStages {
            let strip = { (w: ExpectedWarning) -> ExpectedWarning in var w = w; w.line = 0; return w }
            if got.map(strip).sorted(by: order) != expected.warnings.map(strip).sorted(by: order) {
                out.append("warnings: expected \(expected.warnings.map(\.text)), got \(got.map(\.text))")
            }
        } else if got.sorted(by: order) != expected.warnings {
            out.append("warnings: expected \(expected.warnings.map(\.text)), got \(got.map(\.text))")
        }
        switch (expected.error, report.error) {
        case (nil, let e?): out.append("unexpected error: \(e)")
        case (let e?, nil): out.append("expected error: \(e)")
        case (let e?, let g?) where e.hasPrefix("lint violation") && e != g: out.append("error \(g), expected \(e)")
        default: break
        }
        return out
    }

    @Test func everyBuildKitCaseAgrees() throws {
        let cases = try Self.cases()
        var agree = 0
        var failures: [String] = []
        for c in cases {
            let d = Self.differences(c, c.build, allStages: false).map { "\(c.name) [build] \($0)" }
                + Self.differences(c, c.check, allStages: true).map { "\(c.name) [check] \($0)" }
            if d.isEmpty { agree += 1 } else { failures += d }
        }
        print("build checks: \(agree)/\(cases.count) BuildKit lint cases agree")
        for f in failures { print("  " + f) }
        #expect(failures.isEmpty)
        #expect(cases.count >= 80)
    }

    @Test func directiveParsing() throws {
        let c = try CheckConfig.parse(" skip = JSONArgsRecommended, StageNameCasing ;error=true")
        #expect(c.skipped == ["JSONArgsRecommended", "StageNameCasing"])
        #expect(c.failOnWarning)
        #expect(try CheckConfig.parse("skip=all").skipAll)
        #expect(try CheckConfig.parse("experimental=all").experimentalAll)
        #expect(throws: CheckConfigError.self) { try CheckConfig.parse("skip") }
        #expect(throws: CheckConfigError.self) { try CheckConfig.parse("error=maybe") }
        #expect(throws: CheckConfigError.self) { try CheckConfig.parse("bogus=1") }
        // A comment above one instruction adds to the file's config; error= is the file's alone.
        let merged = CheckConfig().merged(withComments: ["check=skip=MaintainerDeprecated;error=true // why"])
        #expect(merged.skipped == ["MaintainerDeprecated"])
        #expect(!merged.failOnWarning)
        #expect(!merged.allows(.maintainerDeprecated))
        #expect(!CheckConfig().allows(.invalidDefinitionDescription))
    }

    @Test func skipAllSilencesEverything() {
        let report = BuildChecker().check("# check=skip=all\nfrom scratch AS Bad\nMAINTAINER me\nCMD run\n")
        #expect(report.warnings.isEmpty)
        #expect(report.error == nil)
    }

    @Test func errorTrueFailsWithTheRules() {
        let report = BuildChecker().check("# check=error=true\nFROM scratch AS Bad\nMAINTAINER me\n")
        #expect(report.warnings.map(\.rule.name) == ["StageNameCasing", "MaintainerDeprecated"])
        #expect(report.error == "lint violation found for rules: MaintainerDeprecated, StageNameCasing")
    }

    @Test func buildArgReplacesTheDirective() {
        var options = CheckOptions()
        options.buildArgs[CheckConfig.buildArgName] = "skip=MaintainerDeprecated"
        let report = BuildChecker(options: options).check("# check=skip=all\nFROM scratch AS Bad\nMAINTAINER me\n")
        #expect(report.warnings.map(\.rule.name) == ["StageNameCasing"])
    }

    @Test func warningCarriesRuleAndLines() {
        let report = BuildChecker().check("FROM scratch\nCMD echo \\\n  hi\n")
        let w = try? #require(report.warnings.first)
        #expect(w?.startLine == 2)
        #expect(w?.endLine == 3)
        let event = w?.buildWarning(file: "Dockerfile")
        #expect(event?.message == "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 2)")
        #expect(event?.rule == "JSONArgsRecommended")
        #expect(event?.url == "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/")
        #expect(event?.endLine == 3)
    }
}
