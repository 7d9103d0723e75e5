import Foundation

/// The image config of a built stage: the base image's config, then every instruction of the
/// stage chain (the target and the stages it is built `FROM`) applied in order, with one history
/// entry per instruction (`empty_layer` for those that change only the config), as BuildKit
/// writes them.
public struct ImageConfigBuilder: Sendable {
    public var plan: BuildPlan
    /// The base image's config JSON, when the chain starts from an image.
    public var baseConfig: Data?
    /// SOURCE_DATE_EPOCH: every `created` time is this, so rebuilds give the same digest.
    public var created: Date

    public init(plan: BuildPlan, baseConfig: Data?, created: Date) {
        self.plan = plan
        self.baseConfig = baseConfig
        self.created = created
    }

    /// Stages from the root of the FROM chain down to `index`.
    public static func chain(_ plan: BuildPlan, to index: Int) -> [Int] {
        var out = [index]
        var current = index
        while case .stage(let parent) = plan.stages[current].source {
            out.insert(parent, at: 0)
            current = parent
        }
        return out
    }

    public func build(stage index: Int) -> ImageConfig {
        let time = RFC3339.string(created)
        let stages = Self.chain(plan, to: index)
        var config = baseConfig.flatMap { try? JSONDecoder().decode(ImageConfig.self, from: $0) }
            ?? ImageConfig(platform: plan.stages[index].platform, config: ImageConfig.ContainerConfig())
        config.architecture = plan.stages[index].platform.architecture
        config.os = plan.stages[index].platform.os
        config.variant = plan.stages[index].platform.variant
        config.rootfs = ImageConfig.RootFS(diffIDs: [])
        config.created = time
        var c = config.config ?? ImageConfig.ContainerConfig()
        var history = config.history ?? []
        if baseConfig == nil {
            // BuildKit's empty image (FROM scratch): the default PATH and `/`.
            c.env = [GraphBuilder.defaultPath]
            c.workingDir = "/"
        }
        for s in stages {
            let stage = plan.stages[s]
            // ENTRYPOINT clears an inherited CMD, not one this stage set (BuildKit's cmdSet).
            var cmdSet = false
            // The base's triggers ran at the start of this stage: they are not passed on.
            c.onBuild = nil
            for step in stage.steps {
                var empty = true
                var createdBy = step.text
                switch step.instruction {
                case .run(let r):
                    empty = false
                    let args = r.command.isShellForm ? stage.finalShell + [r.command.arguments.joined(separator: " ")] : r.command.arguments
                    createdBy = "RUN " + args.joined(separator: " ")
                case .copy, .workdir:
                    empty = false
                    if case .workdir(let dir) = step.instruction { c.workingDir = dir; createdBy = "WORKDIR \(dir)" }
                case .env(let pairs):
                    var env = c.env ?? []
                    for p in pairs {
                        // Set again, a variable keeps its place (BuildKit's addEnv).
                        if let i = env.firstIndex(where: { $0 == p.key || $0.hasPrefix(p.key + "=") }) {
                            env[i] = p.key + "=" + p.value
                        } else {
                            env.append(p.key + "=" + p.value)
                        }
                    }
                    c.env = env
                    createdBy = "ENV " + pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                case .label(let pairs):
                    var labels = c.labels ?? [:]
                    for p in pairs { labels[p.key] = p.value }
                    c.labels = labels
                    createdBy = "LABEL " + pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                case .cmd(let cl):
                    let cmd = cl.isShellForm ? step.shell + [cl.arguments.joined(separator: " ")] : cl.arguments
                    c.cmd = cmd.isEmpty ? nil : cmd   // `CMD []` is null in BuildKit's config
                    cmdSet = true
                    createdBy = "CMD " + JSONText.strings(c.cmd ?? []).rendered
                case .entrypoint(let cl):
                    let entrypoint = cl.isShellForm ? step.shell + [cl.arguments.joined(separator: " ")] : cl.arguments
                    c.entrypoint = entrypoint.isEmpty ? nil : entrypoint
                    if !cmdSet { c.cmd = nil }
                    createdBy = "ENTRYPOINT " + JSONText.strings(c.entrypoint ?? []).rendered
                case .shell(let s):
                    c.shell = s
                case .user(let u):
                    c.user = u
                case .expose(let ports):
                    var exposed = c.exposedPorts ?? [:]
                    for p in ports.flatMap({ Self.exposedPorts($0) ?? [] }) { exposed[p] = EmptyObject() }
                    c.exposedPorts = exposed
                case .volume(let vols):
                    var volumes = c.volumes ?? [:]
                    for v in vols { volumes[v] = EmptyObject() }
                    c.volumes = volumes
                case .stopSignal(let s):
                    c.stopSignal = s
                case .healthcheck(let h):
                    let test: [String]
                    if let t = h.test { test = t.isShellForm ? ["CMD-SHELL", t.arguments.joined(separator: " ")] : ["CMD"] + t.arguments } else { test = ["NONE"] }
                    c.healthcheck = ImageConfig.HealthConfig(
                        test: test, interval: h.interval.map(Self.nanos), timeout: h.timeout.map(Self.nanos),
                        startPeriod: h.startPeriod.map(Self.nanos), startInterval: h.startInterval.map(Self.nanos), retries: h.retries)
                case .onbuild(let trigger):
                    c.onBuild = (c.onBuild ?? []) + [trigger]
                case .arg, .maintainer:
                    if case .maintainer(let m) = step.instruction { config.author = m }
                }
                history.append(ImageConfig.History(created: time, createdBy: createdBy + (empty ? "" : " # buildkit"),
                                                   comment: "buildkit.dockerfile.v0", emptyLayer: empty ? true : nil))
            }
        }
        config.config = c
        config.history = history
        return config
    }

    /// One EXPOSE word as the config's keys: `8000-8002` is three ports, the protocol defaults to
    /// tcp and is lower-cased (`9999/UDP` → `9999/udp`), as docker's nat.ParsePortSpecs. Nil when
    /// a port is not a 16-bit number (the frontend reports it at the instruction). A word with a
    /// host part (`ip:host:container`) is kept as written.
    static func exposedPorts(_ word: String) -> [String]? {
        let parts = word.split(separator: "/", maxSplits: 1).map(String.init)
        let proto = parts.count > 1 ? parts[1].lowercased() : "tcp"
        let spec = parts.first ?? word
        if spec.contains(":") { return [spec + "/" + proto] }
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { UInt16($0) }
        guard let low = bounds.first ?? nil, let high = bounds.last ?? nil else { return nil }
        if low > high { return [spec + "/" + proto] }
        return (low...high).map { "\($0)/\(proto)" }
    }

    static func nanos(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }
}

/// RFC 3339 times in UTC with seconds precision (image configs).
enum RFC3339 {
    static func string(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
