import Foundation

extension InstructionParser {
    func parseRun(_ node: SyntaxNode) throws(FrontendError) -> RunInstruction {
        var flags = BuilderFlags([("mount", .strings), ("network", .string), ("security", .string), ("device", .strings)])
        try withFlags(node) { () throws(ParseFailure) in try flags.parse(node.flags) }
        var mounts: [MountSpec] = []
        var sshCount = 0
        for value in flags.list("mount") {
            do {
                let m = try MountSpec.parse(value, sshIndex: sshCount)
                if m.kind == .ssh { sshCount += 1 }
                mounts.append(m)
            } catch {
                let flag = node.flags.first { $0.contains(value) } ?? "--mount"
                throw fail(.invalidMount, error.message, node, column: column(ofFlag: flag, in: node))
            }
        }
        var network = NetworkMode.default
        if let n = flags.string("network") {
            guard let mode = NetworkMode(rawValue: n.lowercased()) else {
                throw fail(.invalidFlag, "unsupported network mode \(GoQuote.quote(n))", node)
            }
            network = mode
        }
        var security = SecurityMode.sandbox
        if let s = flags.string("security") {
            guard let mode = SecurityMode(rawValue: s.lowercased()) else {
                throw fail(.invalidFlag, "unsupported security mode \(GoQuote.quote(s))", node)
            }
            security = mode
        }
        let args = node.words
        if args.isEmpty || (args.count == 1 && args[0].isEmpty && !node.isJSON) {
            throw fail(.invalidArgument, "RUN requires at least one argument", node)
        }
        return RunInstruction(command: CommandLine(arguments: args, isShellForm: !node.isJSON),
                              mounts: mounts, network: network, security: security)
    }

    func parseCopy(_ node: SyntaxNode) throws(FrontendError) -> CopyInstruction {
        let isAdd = node.keyword == "add"
        var declared: [(String, BuilderFlags.Kind)] = [("chown", .string), ("chmod", .string), ("link", .bool),
                                                       ("exclude", .strings)]
        if isAdd {
            declared += [("checksum", .string), ("keep-git-dir", .bool), ("unpack", .bool)]
        } else {
            declared += [("from", .string), ("parents", .bool)]
        }
        var flags = BuilderFlags(declared)
        try withFlags(node) { () throws(ParseFailure) in try flags.parse(node.flags) }
        let args = node.words
        let keyword = isAdd ? "ADD" : "COPY"
        guard args.count >= 2 else {
            throw fail(.invalidArgument, "\(keyword) requires at least two arguments, but only \(args.count) provided", node)
        }
        if let chmod = flags.string("chmod"), !chmod.isEmpty, !Self.isValidChmod(chmod) {
            throw fail(.invalidFlag, "invalid chmod parameter: \(chmod). it should be octal string and between 0 and 07777", node,
                       column: column(ofFlag: "--chmod", in: node))
        }
        if isAdd, flags.string("checksum") != nil, args.count > 2 {
            throw fail(.invalidFlag, "checksum can't be specified for multiple sources", node)
        }
        return CopyInstruction(
            isAdd: isAdd, sources: Array(args.dropLast()), destination: args[args.count - 1],
            from: flags.string("from"), chown: flags.string("chown"), chmod: flags.string("chmod"),
            link: flags.bool("link"), parents: flags.bool("parents"), excludes: flags.list("exclude"),
            checksum: flags.string("checksum"), keepGitDir: flags.bool("keep-git-dir"),
            unpack: flags.used.contains("unpack") ? flags.bool("unpack") : nil)
    }

    /// Octal modes only (BuildKit also accepts symbolic modes behind a labs flag).
    static func isValidChmod(_ s: String) -> Bool {
        if s.hasPrefix("$") { return true }
        guard let v = UInt32(s, radix: 8) else { return false }
        return v <= 0o7777
    }

    func parseHealthcheck(_ node: SyntaxNode) throws(FrontendError) -> HealthcheckInstruction {
        var flags = BuilderFlags([("interval", .string), ("timeout", .string), ("start-period", .string),
                                  ("start-interval", .string), ("retries", .string)])
        try withFlags(node) { () throws(ParseFailure) in try flags.parse(node.flags) }
        let args = node.words
        guard let type = args.first else { throw fail(.invalidArgument, "HEALTHCHECK requires an argument", node) }
        var hc = HealthcheckInstruction()
        switch type.uppercased() {
        case "NONE":
            if args.count > 1 { throw fail(.invalidArgument, "HEALTHCHECK NONE takes no arguments", node) }
            if !node.flags.isEmpty { throw fail(.invalidFlag, "options cannot be specified with HEALTHCHECK NONE", node) }
            return hc
        case "CMD":
            let cmd = Array(args.dropFirst())
            if cmd.isEmpty { throw fail(.invalidArgument, "Missing command after HEALTHCHECK CMD", node) }
            hc.test = CommandLine(arguments: cmd, isShellForm: !node.isJSON)
        default:
            throw fail(.invalidArgument, "Unknown type \(GoQuote.quote(type)) in HEALTHCHECK (try CMD)", node)
        }
        func duration(_ name: String) throws(FrontendError) -> Duration? {
            guard let text = flags.string(name) else { return nil }
            guard let d = GoDuration.parse(text) else {
                throw fail(.invalidFlag, "time: invalid duration \(GoQuote.quote(text))", node, column: column(ofFlag: "--" + name, in: node))
            }
            if d != .zero && d < .milliseconds(1) {
                throw fail(.invalidFlag, "Interval \(GoQuote.quote(name)) cannot be less than 1ms", node)
            }
            if d < .zero { throw fail(.invalidFlag, "Interval \(GoQuote.quote(name)) cannot be negative", node) }
            return d
        }
        hc.interval = try duration("interval")
        hc.timeout = try duration("timeout")
        hc.startPeriod = try duration("start-period")
        hc.startInterval = try duration("start-interval")
        if let r = flags.string("retries") {
            guard let n = Int(r) else { throw fail(.invalidFlag, "invalid retries value \(GoQuote.quote(r))", node) }
            if n < 0 { throw fail(.invalidFlag, "--retries cannot be negative (\(n))", node) }
            hc.retries = n
        }
        return hc
    }
}

/// Go's `time.ParseDuration` (`1h30m`, `1.5s`, `300ms`, `0`), as HEALTHCHECK flags use.
enum GoDuration {
    static func parse(_ text: String) -> Duration? {
        var s = Substring(text)
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        if s == "0" { return .zero }
        guard !s.isEmpty else { return nil }
        var totalNanos: Double = 0
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            guard let unit = units.first(where: { s.hasPrefix($0.0) && !(($0.0 == "m") && s.hasPrefix("ms")) }) else { return nil }
            s = s.dropFirst(unit.0.count)
            totalNanos += value * unit.1
        }
        let d = Duration.nanoseconds(Int64(totalNanos))
        return negative ? .zero - d : d
    }
}
