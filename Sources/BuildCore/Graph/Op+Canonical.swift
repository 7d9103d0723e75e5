import Foundation

extension Op {
    /// The canonical encoding of the op: fixed field order, every field that affects the result,
    /// nothing that does not (no names, no timestamps, no secret values: only secret ids).
    public var canonical: JSONText {
        switch self {
        case .source(let s): return s.canonical
        case .exec(let e): return e.canonical
        case .file(let f): return .object([("kind", "file"), ("hasBase", .bool(f.hasBase)), ("actions", .array(f.actions.map(\.canonical)))])
        case .merge: return .object([("kind", "merge")])
        }
    }
}

extension SourceOp {
    var canonical: JSONText {
        switch self {
        case .scratch:
            return .object([("kind", "source"), ("identifier", "scratch")])
        case .image(let ref, let platform):
            return .object([("kind", "source"), ("identifier", .string("docker-image://" + ref)),
                            ("platform", .string(platform.description))])
        case .local(let name, let excludes):
            return .object([("kind", "source"), ("identifier", .string("local://" + name)), ("excludes", .strings(excludes))])
        case .http(let url, let checksum, let filename):
            return .object([("kind", "source"), ("identifier", .string(url)), ("checksum", .optional(checksum)),
                            ("filename", .string(filename))])
        }
    }
}

extension ExecOp {
    var canonical: JSONText {
        .object([
            ("kind", "exec"),
            ("hasRoot", .bool(hasRoot)),
            ("args", .strings(args)),
            ("env", .strings(env)),
            ("cwd", .string(cwd)),
            ("user", .string(user)),
            ("network", .string(network.rawValue)),
            ("security", .string(security.rawValue)),
            ("mounts", .array(mounts.map(\.canonical))),
        ])
    }
}

extension ExecMount {
    var canonical: JSONText {
        let m = spec
        var fields: [(String, JSONText)] = [("type", .string(m.kind.rawValue)), ("target", .optional(m.target))]
        if let input { fields.append(("input", .int(input))) }
        if m.kind == .bind || m.kind == .cache, let source = m.source { fields.append(("source", .string(source))) }
        fields.append(("readonly", .bool(m.readOnly)))
        switch m.kind {
        case .cache:
            fields += [("id", .optional(m.id)), ("sharing", .optional(m.sharing?.rawValue))]
        case .secret, .ssh:
            fields += [("id", .optional(m.id)), ("required", .bool(m.required)), ("env", .optional(m.env))]
        case .tmpfs:
            fields.append(("size", m.sizeLimit.map { .int(Int($0)) } ?? .null))
        case .bind:
            break
        }
        if let mode = m.mode { fields.append(("mode", .int(Int(mode)))) }
        if let uid = m.uid { fields.append(("uid", .int(Int(uid)))) }
        if let gid = m.gid { fields.append(("gid", .int(Int(gid)))) }
        return .object(fields)
    }
}

extension FileAction {
    var canonical: JSONText {
        switch self {
        case .copy(let c):
            return .object([
                ("action", "copy"), ("input", .int(c.input)), ("src", .string(c.source)), ("dest", .string(c.destination)),
                ("owner", .optional(c.owner)), ("mode", .optional(c.mode)), ("followSymlinks", .bool(c.followSymlinks)),
                ("dirCopyContents", .bool(c.copyDirectoryContents)), ("createDestPath", .bool(c.createDestinationPath)),
                ("allowWildcard", .bool(c.allowWildcard)), ("allowEmptyWildcard", .bool(c.allowEmptyWildcard)),
                ("attemptUnpack", .bool(c.attemptUnpack)), ("parents", .bool(c.parents)),
                ("excludes", .strings(c.excludes)), ("checksum", .optional(c.checksum)),
            ])
        case .mkdir(let path, let mode, let parents, let owner):
            return .object([("action", "mkdir"), ("path", .string(path)), ("mode", .int(Int(mode))),
                            ("makeParents", .bool(parents)), ("owner", .optional(owner))])
        case .mkfile(let path, let mode, let digest, _, let owner):
            return .object([("action", "mkfile"), ("path", .string(path)), ("mode", .int(Int(mode))),
                            ("content", .string(digest.value)), ("owner", .optional(owner))])
        case .rm(let path, let allowNotFound):
            return .object([("action", "rm"), ("path", .string(path)), ("allowNotFound", .bool(allowNotFound))])
        }
    }
}
