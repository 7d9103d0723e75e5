import Foundation

extension Build {
    /// `--call=check`: BuildKit's lint request. Every stage is checked and nothing runs. Base
    /// images are looked up in the local image store only — no registry is asked, so a check works
    /// offline and pulls nothing; an image that is not in the store counts as an empty config
    /// (only the default PATH), and its platform, unknown, is not compared (InvalidBaseImagePlatform).
    public func check() -> CheckReport {
        let text: String
        do {
            guard let bytes = try ScopedPath.read(PathText.lastComponent(of: request.dockerfilePath),
                                                  in: PathText.parent(of: request.dockerfilePath), limit: Self.maxDockerfileBytes) else {
                var report = CheckReport()
                report.error = "failed to read dockerfile: open \(PathText.lastComponent(of: request.dockerfilePath)): no such file or directory"
                return report
            }
            text = String(decoding: bytes, as: UTF8.self)
        } catch {
            var report = CheckReport()
            report.error = "cannot read the Dockerfile: \(error)"
            return report
        }
        var options = checkOptions(allStages: true)
        if let store = try? ImageStore(root: root.path) {
            let probe = BuildChecker(options: options).baseImageNames(text)
            for name in probe {
                guard let image = try? store.resolve(name, platform: request.platform) else { continue }
                options.baseImages[name] = BaseImageFacts(config: image.config)
            }
        }
        return BuildChecker(options: options).check(text, fileName: PathText.lastComponent(of: request.dockerfilePath))
    }

    /// The checker's inputs that come from the request and the context.
    func checkOptions(allStages: Bool) -> CheckOptions {
        var options = CheckOptions()
        options.allStages = allStages
        options.buildArgs = request.buildArgs
        options.target = request.target
        options.targetPlatform = request.platform
        options.buildPlatform = .host
        options.ignorePatterns = ContextWalker.ignorePatterns(context: request.contextPath, dockerfile: request.dockerfilePath).patterns
        return options
    }
}

extension BaseImageFacts {
    init(config: ImageConfig) {
        let environment = (config.config?.env ?? []).map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return KeyValuePair(key: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
        self.init(environment: environment, platform: Platform(os: config.os, architecture: config.architecture),
                  shell: config.config?.shell ?? [])
    }
}
