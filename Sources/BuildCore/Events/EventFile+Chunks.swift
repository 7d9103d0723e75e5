import Foundation

extension EventFile {
    /// Decodes `data` in pieces of about `chunkBytes`, handing each piece's events to `batch` as
    /// soon as it is decoded, so a viewer can show the start of a long record while the rest is
    /// still being read. The format is decided (and bad input refused) on the first piece, as
    /// `load` does; returns the warnings `load` would give.
    public static func load(data: Data, name: String = "input", chunkBytes: Int = 4 << 20,
                            batch: ([BuildEvent]) -> Void) throws -> [String] {
        guard cut(data, near: chunkBytes, from: data.startIndex) < data.endIndex else {
            let whole = try load(data: data, name: name)
            batch(whole.events)
            return whole.warnings
        }
        let format = try format(of: data, name: name)
        // Each piece decoded once; a first piece with nothing readable refuses the file, as `load`.
        func checkFirst(_ events: [BuildEvent], skipped: Int, _ start: Data.Index) throws {
            if start == data.startIndex, events.isEmpty, skipped > 0 {
                throw EventFileError.nothingReadable(path: name, format: format, lines: skipped)
            }
        }
        var skipped = 0
        var start = data.startIndex
        switch format {
        case .record:
            while start < data.endIndex {
                let end = cut(data, near: chunkBytes, from: start)
                let decoded = BuildRecord.decode(data[start..<end])
                try checkFirst(decoded.events, skipped: decoded.skippedLines, start)
                skipped += decoded.skippedLines
                batch(decoded.events)
                start = end
            }
        case .rawJSON:
            // One decoder for the whole stream: it carries what earlier lines said.
            var decoder = RawJSONDecoder()
            while start < data.endIndex {
                let end = cut(data, near: chunkBytes, from: start)
                let events = decoder.feed(data[start..<end])
                try checkFirst(events, skipped: decoder.skippedLines, start)
                batch(events)
                start = end
            }
            batch(decoder.finish())
            skipped = decoder.skippedLines
        }
        return skipped > 0 ? ["skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s") of \(name)"] : []
    }

    /// The index just past the first newline at or after `from + size` (or the end).
    static func cut(_ data: Data, near size: Int, from start: Data.Index) -> Data.Index {
        let target = data.index(start, offsetBy: size, limitedBy: data.endIndex) ?? data.endIndex
        guard target < data.endIndex, let newline = data[target...].firstIndex(of: UInt8(ascii: "\n")) else { return data.endIndex }
        return newline + 1
    }
}
