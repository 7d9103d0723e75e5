import BuildCore
import Foundation

/// A recorded build's events as a replay reads them: in record order, found by time.
///
/// Events are kept in the batches they arrived in (a big record's batches are never copied into
/// one array), each with its *playback time*: the latest event time up to it. Records are in
/// arrival order and their times may step back a little (BuildKit's rawjson does); playback time
/// never does, so "the events up to time t" is always a prefix of the record.
struct ReplayEvents: Sendable {
    private var batches: [[BuildEvent]] = []
    /// Index of each batch's first event.
    private var batchStarts: [Int] = []
    /// Playback times, as seconds since the reference date.
    private var times: [Double] = []

    var count: Int { times.count }
    var firstTime: Date? { times.first.map(Date.init(timeIntervalSinceReferenceDate:)) }
    var lastTime: Date? { times.last.map(Date.init(timeIntervalSinceReferenceDate:)) }

    /// Adds a batch; returns the marks it holds (steps that started, finished or failed).
    mutating func append(_ batch: [BuildEvent]) -> [Playback.Mark] {
        guard !batch.isEmpty else { return [] }
        batchStarts.append(times.count)
        batches.append(batch)
        times.reserveCapacity(times.count + batch.count)
        var latest = times.last ?? -Double.infinity
        var marks: [Playback.Mark] = []
        for event in batch {
            latest = max(latest, event.time.timeIntervalSinceReferenceDate)
            times.append(latest)
            let time = Date(timeIntervalSinceReferenceDate: latest)
            switch event.kind {
            case .vertexStarted(let digest):
                marks.append(Playback.Mark(time: time, kind: .started, step: digest))
            case .vertexCompleted(let completion):
                marks.append(Playback.Mark(time: time, kind: completion.status == .failed ? .failed : .finished,
                                           step: completion.digest))
            default:
                break
            }
        }
        return marks
    }

    /// How many events have a playback time at or before `time`: the prefix shown at that time.
    func count(through time: Date) -> Int {
        let t = time.timeIntervalSinceReferenceDate
        var low = 0, high = times.count
        while low < high {
            let mid = (low + high) / 2
            if times[mid] <= t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Calls `body` with the events at `range`, in order, until it returns false.
    func forEach(in range: Range<Int>, _ body: (BuildEvent) -> Bool) {
        guard !range.isEmpty, range.lowerBound >= 0 else { return }
        var b = batchIndex(of: range.lowerBound)
        var i = range.lowerBound
        while i < range.upperBound, b < batches.count {
            let batch = batches[b]
            let offset = i - batchStarts[b]
            let n = min(batch.count - offset, range.upperBound - i)
            for k in offset..<(offset + n) where !body(batch[k]) { return }
            i += n
            b += 1
        }
    }

    /// How much reducing `event` costs, in events: a log chunk also counts one per 256 bytes,
    /// since cleaning its lines is most of the work.
    static func cost(_ event: BuildEvent) -> Int {
        if case .log(let chunk) = event.kind { return 1 + chunk.data.count / 256 }
        return 1
    }

    private func batchIndex(of index: Int) -> Int {
        var low = 0, high = batchStarts.count
        while low + 1 < high {
            let mid = (low + high) / 2
            if batchStarts[mid] <= index { low = mid } else { high = mid }
        }
        return low
    }
}
