import Foundation

/// Replaces secret values in step output with `****` before it reaches the screen, a record or a
/// failure report. The value without its surrounding whitespace is masked too: a secret file's
/// trailing newline is rarely printed with it.
///
/// Output arrives in pieces that can cut a secret anywhere, so masking keeps state per output
/// stream (`Stream`).
struct SecretMasker: Sendable {
    static let replacement = Array("****".utf8)
    /// Shorter values are not masked: hiding every `ab` would garble ordinary output.
    static let minimumLength = 3

    /// The byte strings to hide, no two equal.
    let patterns: [[UInt8]]
    /// Whether some pattern begins with a byte, by byte value: most output bytes are passed on
    /// after this one look-up.
    let starts: [Bool]

    init(secrets: [Data]) {
        var patterns: [[UInt8]] = []
        for secret in secrets where secret.count >= Self.minimumLength {
            let trimmed = String(decoding: secret, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            for form in [Array(secret), Array(trimmed.utf8)] where form.count >= Self.minimumLength && !patterns.contains(form) {
                patterns.append(form)
            }
        }
        var starts = [Bool](repeating: false, count: 256)
        for pattern in patterns { starts[Int(pattern[0])] = true }
        self.patterns = patterns
        self.starts = starts
    }

    /// True when there is nothing to hide, so output can be passed on as it is.
    var isEmpty: Bool { patterns.isEmpty }

    /// The masking state of one output stream.
    ///
    /// Only the end of what was seen that could begin a secret is held back (fewer bytes than the
    /// longest secret), until the next piece or the end of the stream decides it. Every byte of
    /// every occurrence is hidden: occurrences that overlap share one `****`, ones that merely
    /// touch get one each.
    struct Stream {
        let masker: SecretMasker
        /// The undecided end of the stream.
        private var held: [UInt8] = []
        /// How many leading bytes of `held` the last `****` already stands for. They are kept so
        /// that an occurrence starting among them extends that `****` rather than showing its end.
        private var hidden = 0

        init(_ masker: SecretMasker) {
            self.masker = masker
        }

        /// What `data` releases, masked; empty when all of it is held.
        mutating func mask(_ data: Data) -> Data {
            scan(held + data, atEnd: false)
        }

        /// The held bytes, masked: the stream has ended, so they are no longer the start of anything.
        mutating func finish() -> Data {
            scan(held, atEnd: true)
        }

        /// Masks `bytes` up to the first position where a secret may begin but `bytes` ends before
        /// it is known whether it does, and holds the rest. At the end of the stream nothing is held.
        private mutating func scan(_ bytes: [UInt8], atEnd: Bool) -> Data {
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            // Bytes before this index are covered by a `****` already written.
            var hiddenEnd = hidden
            var i = 0
            scanning: while i < bytes.count {
                var match = 0
                if masker.starts[Int(bytes[i])] {
                    for pattern in masker.patterns where pattern[0] == bytes[i] {
                        if bytes.count - i >= pattern.count {
                            if pattern.count > match && bytes[i..<(i + pattern.count)].elementsEqual(pattern) { match = pattern.count }
                        } else if !atEnd && pattern.starts(with: bytes[i...]) {
                            break scanning
                        }
                    }
                }
                if match > 0 {
                    if i >= hiddenEnd { out += SecretMasker.replacement }
                    hiddenEnd = max(hiddenEnd, i + match)
                } else if i >= hiddenEnd {
                    out.append(bytes[i])
                }
                i += 1
            }
            held = Array(bytes[i...])
            hidden = max(0, hiddenEnd - i)
            return Data(out)
        }
    }
}

/// A step's output on its way to the events: masked per stream, then handed to `deliver`.
///
/// The executor writes from one thread per stream. `finish`, called once the executor has
/// returned (or thrown), releases what the streams still hold, so a step that fails or is
/// cancelled loses no output.
final class MaskedOutput: @unchecked Sendable {
    private let masker: SecretMasker
    private let deliver: @Sendable (Int, Data) -> Void
    private let lock = NSLock()
    private var streams: [Int: SecretMasker.Stream] = [:]

    init(masker: SecretMasker, deliver: @escaping @Sendable (Int, Data) -> Void) {
        self.masker = masker
        self.deliver = deliver
    }

    func write(_ stream: Int, _ data: Data) {
        guard !masker.isEmpty else { return deliver(stream, data) }
        let masked = lock.withLock { streams[stream, default: SecretMasker.Stream(masker)].mask(data) }
        if !masked.isEmpty { deliver(stream, masked) }
    }

    func finish() {
        let rest = lock.withLock {
            let open = streams.sorted { $0.key < $1.key }
            streams = [:]
            return open.map { stream, state in
                var state = state
                return (stream, state.finish())
            }
        }
        for (stream, data) in rest where !data.isEmpty { deliver(stream, data) }
    }
}
