import Foundation

/// `FROM image` and `COPY --from=image` resolved from the local image store (`image load`,
/// earlier builds with `-t`). An image that is not there is a clear error naming how to get it.
public struct LocalImages: ImageResolver {
    public let store: ImageStore

    public init(root: StateRoot) throws {
        store = try ImageStore(root: root.path)
    }

    public func resolve(_ reference: String, platform: Platform) async throws -> BaseImage {
        let image: ResolvedImage
        do {
            image = try store.resolve(reference, platform: platform)
        } catch {
            throw SolveError(message: "image \(reference) is not in the local image store: load it with `swbuild-tui image load FILE` (\(error))")
        }
        let layers = try store.layerIDs(of: image).map(\.value)
        return BaseImage(reference: reference, manifestDigest: image.manifestDescriptor.digest.value, layers: layers,
                         config: image.configData)
    }

    /// What a child stage takes from an image's config, read with one lookup in the store: its ENV
    /// (for expanding `$VAR` in later instructions, as BuildKit does), WORKDIR, USER and ONBUILD.
    func baseSetup(_ reference: String) -> (environment: [KeyValuePair], setup: BaseImageSetup)? {
        guard let image = try? store.resolve(reference) else { return nil }
        let config = image.config.config
        let environment = (config?.env ?? []).map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return KeyValuePair(key: parts[0], value: parts.count > 1 ? parts[1] : "")
        }
        return (environment, BaseImageSetup(workingDir: config?.workingDir ?? "", user: config?.user ?? "",
                                            onBuild: config?.onBuild ?? []))
    }
}
