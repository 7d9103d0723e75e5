import Foundation

/// One `RUN --mount=...` as BuildKit defines it, with its defaults filled in.
public struct MountSpec: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable { case bind, cache, tmpfs, secret, ssh }
    public enum Sharing: String, Sendable, Codable, CaseIterable { case shared, `private`, locked }

    public var kind: Kind = .bind
    public var from: String?
    public var source: String?
    public var target: String?
    public var readOnly: Bool = true
    /// secret/ssh: fail the step when the secret or agent is not provided.
    public var required: Bool = false
    /// cache: the cache id; secret/ssh: the secret or agent id.
    public var id: String?
    public var sharing: Sharing?
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    /// tmpfs size limit in bytes.
    public var sizeLimit: Int64?
    /// secret: expose the value as this environment variable.
    public var env: String?

    public init(kind: Kind = .bind) { self.kind = kind }
}

extension MountSpec {
    static let keys = ["type", "from", "source", "target", "readonly", "id", "sharing", "required", "size",
                       "mode", "uid", "gid", "src", "dst", "destination", "ro", "rw", "readwrite", "env"]

    /// Parses the value of one `--mount` flag (a CSV list of `key=value` fields), with BuildKit's
    /// rules and messages. `index` numbers ssh mounts for their default target.
    static func parse(_ value: String, sshIndex: Int = 0) throws(ParseFailure) -> MountSpec {
        var m = MountSpec()
        var readOnlyAuto = true
        var modeSet = false, uidSet = false, gidSet = false
        for field in CSVFields.split(value) {
            let key: String
            let val: String
            if let eq = field.firstIndex(of: "=") {
                key = field[..<eq].lowercased()
                val = String(field[field.index(after: eq)...])
            } else {
                switch field.lowercased() {
                case "readonly", "ro":
                    m.readOnly = true
                    readOnlyAuto = false
                case "readwrite", "rw":
                    m.readOnly = false
                    readOnlyAuto = false
                case "required":
                    guard m.kind == .secret || m.kind == .ssh else {
                        throw ParseFailure("unexpected key 'required' for mount type '\(m.kind.rawValue)'")
                    }
                    m.required = true
                default:
                    throw ParseFailure("invalid field '\(field)' must be a key=value pair")
                }
                continue
            }
            switch key {
            case "type":
                guard let kind = Kind(rawValue: val.lowercased()) else {
                    var message = "unsupported mount type \(GoQuote.quote(val))"
                    if let s = Suggestion.closest(to: val, among: Kind.allCases.map(\.rawValue)) { message += " (did you mean \(s)?)" }
                    throw ParseFailure(message)
                }
                m.kind = kind
            case "from": m.from = val
            case "source", "src": m.source = val
            case "target", "dst", "destination": m.target = val
            case "readonly", "ro":
                guard let b = parseBool(val) else { throw ParseFailure("invalid value for \(key): \(val)") }
                m.readOnly = b
                readOnlyAuto = false
            case "readwrite", "rw":
                guard let b = parseBool(val) else { throw ParseFailure("invalid value for \(key): \(val)") }
                m.readOnly = !b
                readOnlyAuto = false
            case "required":
                guard m.kind == .secret || m.kind == .ssh else {
                    throw ParseFailure("unexpected key '\(key)' for mount type '\(m.kind.rawValue)'")
                }
                guard let b = parseBool(val) else { throw ParseFailure("invalid value for \(key): \(val)") }
                m.required = b
            case "size":
                guard m.kind == .tmpfs else { throw ParseFailure("unexpected key '\(key)' for mount type '\(m.kind.rawValue)'") }
                guard let size = ByteCount.parse(val) else { throw ParseFailure("invalid value for \(key): \(val)") }
                m.sizeLimit = size
            case "id": m.id = val
            case "sharing":
                guard m.kind == .cache else { throw ParseFailure("invalid cache sharing set for \(m.kind.rawValue) mount") }
                guard let s = Sharing(rawValue: val.lowercased()) else {
                    throw ParseFailure("unsupported sharing value \(GoQuote.quote(val))")
                }
                m.sharing = s
            case "mode":
                guard let v = UInt32(val, radix: 8) else { throw ParseFailure("invalid value \(val) for mode") }
                m.mode = v
                modeSet = true
            case "uid":
                guard let v = UInt32(val) else { throw ParseFailure("invalid value \(val) for uid") }
                m.uid = v
                uidSet = true
            case "gid":
                guard let v = UInt32(val) else { throw ParseFailure("invalid value \(val) for gid") }
                m.gid = v
                gidSet = true
            case "env": m.env = val
            default:
                var message = "unexpected key '\(key)' in '\(field)'"
                if let s = Suggestion.closest(to: key, among: keys) { message += " (did you mean \(s)?)" }
                throw ParseFailure(message)
            }
        }
        let fileInfoAllowed = m.kind == .secret || m.kind == .ssh || m.kind == .cache
        if !fileInfoAllowed {
            if modeSet { throw ParseFailure("mode not allowed for \(GoQuote.quote(m.kind.rawValue)) type mounts") }
            if uidSet { throw ParseFailure("uid not allowed for \(GoQuote.quote(m.kind.rawValue)) type mounts") }
            if gidSet { throw ParseFailure("gid not allowed for \(GoQuote.quote(m.kind.rawValue)) type mounts") }
        }
        if readOnlyAuto { m.readOnly = !(m.kind == .cache || m.kind == .tmpfs) }
        if m.sharing != nil && m.kind != .cache {
            throw ParseFailure("invalid cache sharing set for \(m.kind.rawValue) mount")
        }
        try m.applyDefaults(sshIndex: sshIndex)
        return m
    }

    private mutating func applyDefaults(sshIndex: Int) throws(ParseFailure) {
        switch kind {
        case .secret:
            if from != nil { throw ParseFailure("secret mount should not have a from") }
            if source == nil && target == nil && id == nil {
                throw ParseFailure("invalid secret mount. one of source, target required")
            }
            if source != nil && id != nil { throw ParseFailure("both source and id can't be set") }
            if id == nil { id = source ?? target.map { ($0 as NSString).lastPathComponent } }
            if target == nil && env == nil, let id { target = "/run/secrets/" + id }
            if mode == nil { mode = 0o400 }
        case .ssh:
            if id == nil { id = "default" }
            if target == nil { target = "/run/buildkit/ssh_agent.\(sshIndex)" }
            if mode == nil { mode = 0o600 }
        case .cache:
            // No target: the working directory (the resolver joins it, and names the cache after it).
            if id == nil || id?.isEmpty == true, let target, !target.isEmpty { id = target }
            if sharing == nil { sharing = .shared }
            if mode == nil { mode = 0o755 }
        case .bind, .tmpfs:
            // No target means the working directory, as in BuildKit (`--mount=from=binaries`).
            break
        }
    }

    private static func parseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}

/// Go's `encoding/csv` reading of one record: commas separate, `"` quotes, `""` is a quote.
enum CSVFields {
    static func split(_ s: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var atFieldStart = true
        var chars = s.makeIterator()
        var pending: Character?
        while let c = pending ?? chars.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { current.append("\"") } else { inQuotes = false; pending = n }
                    } else {
                        inQuotes = false
                    }
                } else {
                    current.append(c)
                }
                continue
            }
            if c == "," {
                fields.append(current)
                current = ""
                atFieldStart = true
                continue
            }
            if c == "\"" && atFieldStart {
                inQuotes = true
                atFieldStart = false
                continue
            }
            atFieldStart = false
            current.append(c)
        }
        fields.append(current)
        return fields
    }
}
