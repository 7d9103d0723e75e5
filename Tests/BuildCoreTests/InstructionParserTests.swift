import Foundation
import Testing
@testable import BuildCore

@Suite struct InstructionParserTests {
    func error(_ text: String) -> FrontendError? {
        do {
            _ = try Dockerfile.parse(text)
            return nil
        } catch {
            return error
        }
    }

    func stage(_ text: String) throws -> Stage {
        try #require(try Dockerfile.parse(text).stages.last)
    }

    @Test func unknownInstructionIsLocatedWithSuggestion() throws {
        let e = try #require(error("FROM a\n\n    RUNN echo\n"))
        #expect(e.kind == .unknownInstruction)
        #expect(e.description == "Dockerfile:3:5: unknown instruction: RUNN (did you mean run?)")
        #expect(e.rendered(source: "FROM a\n\n    RUNN echo\n").contains(" 3 |     RUNN echo"))
    }

    @Test func unknownFlagIsLocated() throws {
        let e = try #require(error("FROM a\nCOPY --form=x a b\n"))
        #expect(e.kind == .invalidFlag)
        #expect(e.message == "unknown flag: form (did you mean from?)")
        #expect(e.location?.line == 2)
        #expect(e.location?.column == 6)
    }

    @Test func flagErrors() {
        #expect(error("FROM a\nCOPY --from a b\n")?.message == "missing a value on flag: from")
        #expect(error("FROM a\nCOPY --link=maybe a b\n")?.message == "expecting boolean value for flag link, not: maybe")
        #expect(error("FROM a\nCOPY --from=a --from=b a b\n")?.message == "duplicate flag specified: from")
        #expect(error("FROM a\nADD --parents a b\n")?.message.hasPrefix("unknown flag: parents") == true)
        #expect(error("FROM a\nCOPY --chmod=999 a b\n")?.message.hasPrefix("invalid chmod parameter: 999") == true)
    }

    @Test func mountsOfEveryType() throws {
        let s = try stage("""
            FROM a
            RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt \\
                --mount=type=bind,from=b,source=/src,target=/dst,rw \\
                --mount=type=tmpfs,target=/tmp,size=64m \\
                --mount=type=secret,id=token,required,env=TOKEN \\
                --mount=type=ssh \\
                --network=none --security=insecure make
            """)
        guard case .run(let run) = s.instructions[0].instruction else {
            Issue.record("not a RUN")
            return
        }
        #expect(run.network == .none)
        #expect(run.security == .insecure)
        let m = run.mounts
        #expect(m.map(\.kind) == [.cache, .bind, .tmpfs, .secret, .ssh])
        #expect(m[0].sharing == .locked && m[0].id == "apt" && !m[0].readOnly)
        #expect(m[1].from == "b" && m[1].source == "/src" && !m[1].readOnly)
        #expect(m[2].sizeLimit == Int64(64 << 20))
        #expect(m[3].required && m[3].env == "TOKEN" && m[3].id == "token" && m[3].target == nil)
        #expect(m[4].id == "default" && m[4].target == "/run/buildkit/ssh_agent.0")
    }

    @Test func mountDefaults() throws {
        let bind = try MountSpec.parse("target=/x")
        #expect(bind.kind == .bind && bind.readOnly)
        let cache = try MountSpec.parse("type=cache,target=/c")
        #expect(cache.id == "/c" && cache.sharing == .shared && !cache.readOnly)
        let secret = try MountSpec.parse("type=secret,id=npmrc")
        #expect(secret.target == "/run/secrets/npmrc")
    }

    @Test func badMountOptions() {
        #expect(error("FROM a\nRUN --mount=type=foo,target=/x true\n")?.message == "unsupported mount type \"foo\"")
        #expect(error("FROM a\nRUN --mount=type=cache,target=/x,sharing=odd true\n")?.message == "unsupported sharing value \"odd\"")
        #expect(error("FROM a\nRUN --mount=type=bind,target=/x,uid=1 true\n")?.message == "uid not allowed for \"bind\" type mounts")
        #expect(error("FROM a\nRUN --mount=type=cache,targte=/x true\n")?.message.hasPrefix("unexpected key 'targte'") == true)
        // No target is the working directory (BuildKit); the parser accepts it.
        #expect(error("FROM a\nRUN --mount=type=tmpfs true\n") == nil)
        #expect(error("FROM a\nRUN --mount=type=bind,target=/x,sharing=locked true\n")?.message == "invalid cache sharing set for bind mount")
        #expect(error("FROM a\nRUN --network=bridge true\n")?.message == "unsupported network mode \"bridge\"")
        #expect(error("FROM a\nRUN --mount=type=cache,target=/x true\n")?.kind == nil)
    }

    @Test func copyFlags() throws {
        let s = try stage("FROM a\nCOPY --from=build --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp src/ ./dst/\nADD --checksum=sha256:abc --keep-git-dir https://x/y.tar /z\n")
        guard case .copy(let c) = s.instructions[0].instruction, case .copy(let a) = s.instructions[1].instruction else {
            Issue.record("not copies")
            return
        }
        #expect(c.from == "build" && c.chown == "app:app" && c.chmod == "0755" && c.link && c.parents)
        #expect(c.excludes == ["*.md", "tmp"])
        #expect(c.sources == ["src/"] && c.destination == "./dst/")
        #expect(a.isAdd && a.checksum == "sha256:abc" && a.keepGitDir)
    }

    @Test func arityErrors() {
        #expect(error("FROM a b\n")?.message == "FROM requires either one or three arguments")
        #expect(error("FROM a AS\n")?.message == "FROM requires either one or three arguments")
        #expect(error("FROM a XX b\n")?.message == "Third argument should be AS")
        #expect(error("FROM a AS 1x\n")?.message.hasPrefix("invalid name for build stage") == true)
        #expect(error("FROM a\nCOPY x\n")?.message == "COPY requires at least two arguments, but only 1 provided")
        #expect(error("FROM a\nWORKDIR\n")?.message == "WORKDIR requires exactly one argument")
        #expect(error("FROM a\nSHELL sh -c\n")?.message == "SHELL requires the arguments to be in JSON form")
        #expect(error("FROM a\nONBUILD FROM b\n")?.message == "FROM isn't allowed as an ONBUILD trigger")
        #expect(error("RUN x\nFROM a\n")?.message == "no build stage in current context")
        #expect(error("ARG x\n")?.kind == .emptyFile)
    }

    @Test func stageNamesAreCaseInsensitiveAndUnique() throws {
        let d = try Dockerfile.parse("FROM a AS Build\nFROM build AS other\n")
        #expect(d.stages[0].name == "build")
        let e = try #require(error("FROM a AS x\nFROM b AS X\n"))
        #expect(e.kind == .duplicateStage)
        #expect(e.location?.line == 2)
    }

    @Test func healthcheck() throws {
        let s = try stage("FROM a\nHEALTHCHECK --interval=5s --retries=3 CMD curl -f localhost\nHEALTHCHECK NONE\n")
        guard case .healthcheck(let h) = s.instructions[0].instruction else {
            Issue.record("not a healthcheck")
            return
        }
        #expect(h.interval == .seconds(5) && h.retries == 3)
        #expect(h.test == CommandLine(arguments: ["curl -f localhost"], isShellForm: true))
        #expect(error("FROM a\nHEALTHCHECK --interval=5x CMD x\n")?.message == "time: invalid duration \"5x\"")
    }
}
