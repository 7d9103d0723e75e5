import BuildCore
import Foundation
import Testing
@testable import TUI

/// The replay clock alone: pausing, speeds, seeking, marks, the end.
@Suite struct PlaybackTests {
    static let t0 = Events.t0

    static func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    /// A 10-second build, loaded whole, at the start.
    private func playback(speed: Double = 1, marks: [Playback.Mark] = []) -> Playback {
        var p = Playback(title: "b1", speed: speed)
        #expect(p.extend(Self.at(0)...Self.at(10), marks: marks) == [.show(Self.at(0))])
        p.finishLoading()
        return p
    }

    private func mark(_ seconds: Double, _ kind: Playback.Mark.Kind, _ step: String = "v") -> Playback.Mark {
        Playback.Mark(time: Self.at(seconds), kind: kind, step: Events.digest(step))
    }

    @Test func pauseFreezesTheClock() {
        var p = playback()
        #expect(p.advance(by: 1) == [.show(Self.at(1))])
        #expect(p.handle(.char(" ")) == [])
        #expect(p.paused)
        #expect(p.advance(by: 5) == [], "nothing moves while paused")
        #expect(p.position == Self.at(1))
        #expect(p.handle(.char(" ")) == [])
        #expect(p.advance(by: 0.5) == [.show(Self.at(1.5))])
    }

    @Test func speedStepsUpToMaxAndDown() {
        var p = playback()
        var seen: [String] = []
        while p.handle(.char("+")) == [] { seen.append(p.speedLabel(ascii: false)) }
        #expect(seen == ["×2", "×4", "×8", "×16", "×32", "×64", "max"])
        #expect(p.handle(.char("+")) == [.bell], "nothing is faster than max")
        #expect(p.advance(by: 0.001) == [.show(Self.at(10))], "max goes straight to the end of what is loaded")
        seen = []
        while p.handle(.char("-")) == [] { seen.append(p.speedLabel(ascii: true)) }
        #expect(seen == ["x64", "x32", "x16", "x8", "x4", "x2", "x1", "x0.5", "x0.25"])
        #expect(p.handle(.char("-")) == [.bell])

        var odd = playback(speed: 3)
        #expect(odd.speedLabel(ascii: false) == "×3")
        _ = odd.changeSpeed(faster: true)
        #expect(odd.speed == 4, "an odd --speed steps to the nearest step")
        odd = playback(speed: 3)
        _ = odd.changeSpeed(faster: false)
        #expect(odd.speed == 2)
        #expect(Playback(title: "", speed: 0).speed == 1 && Playback(title: "", speed: -2).speed == 1)
        #expect(Playback(title: "", speed: .nan).speed == 1)

        var fast = playback(speed: 4)
        #expect(fast.advance(by: 0.5) == [.show(Self.at(2))], "speed scales the wall clock")
    }

    @Test func seekingMovesFiveSecondsWithinTheBuild() {
        var p = playback()
        _ = p.advance(by: 2)
        #expect(p.handle(.left) == [.show(Self.at(0))], "clamped at the start")
        #expect(p.handle(.left) == [.bell])
        #expect(p.handle(.right) == [.show(Self.at(5))])
        #expect(p.handle(.right) == [.show(Self.at(10))], "clamped at the end")
        #expect(p.handle(.right) == [.bell])
        #expect(p.handle(.char("g")) == [.show(Self.at(0))])
        #expect(p.handle(.char("G")) == [.show(Self.at(10))])
        #expect(p.handle(.char("x")) == nil, "not a replay key")
    }

    @Test func seekingStaysWithinWhatIsLoaded() {
        var p = Playback(title: "b1")
        #expect(p.handle(.right) == [.bell], "nothing loaded yet")
        _ = p.extend(Self.at(0)...Self.at(3), marks: [])
        #expect(p.handle(.right) == [.show(Self.at(3))])
        #expect(p.waiting, "playing at the end of what is loaded")
        #expect(p.advance(by: 1) == [])
        #expect(p.extend(Self.at(0)...Self.at(6), marks: []) == [])
        #expect(p.advance(by: 1) == [.show(Self.at(4))], "plays on once more is loaded")
        #expect(!p.ended)
    }

    @Test func marksJumpBetweenStepStartsFinishesAndErrors() {
        var p = playback(marks: [mark(1, .started, "a"), mark(1, .started, "b"), mark(3, .finished, "a"), mark(4, .failed, "b")])
        #expect(p.handle(.char("]")) == [.show(Self.at(1))])
        #expect(p.handle(.char("]")) == [.show(Self.at(3))], "marks at the same time are one stop")
        #expect(p.handle(.char("]")) == [.show(Self.at(4))])
        #expect(p.handle(.char("]")) == [.bell], "no mark after the last")
        #expect(p.handle(.char("[")) == [.show(Self.at(3))])
        _ = p.advance(by: 0.5)
        #expect(p.handle(.char("[")) == [.show(Self.at(3))], "back to the mark just passed")
        #expect(p.handle(.char("[")) == [.show(Self.at(1))])
        #expect(p.handle(.char("[")) == [.bell])
    }

    @Test func theEndStaysAndSpacePlaysAgain() {
        var p = playback(speed: 2)
        #expect(p.advance(by: 10) == [.show(Self.at(10))])
        #expect(p.ended)
        #expect(p.advance(by: 1) == [], "the end stays on screen")
        #expect(p.handle(.char(" ")) == [.show(Self.at(0))])
        #expect(!p.paused && !p.ended)
    }
}
