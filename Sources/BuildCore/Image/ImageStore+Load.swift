import Foundation

extension ImageStore {
    /// Loads `docker save` / `podman save` archives and OCI image layout tars (either may be
    /// gzipped). Blobs go into the content store, layers are unpacked (and checked against their
    /// diffIDs), then every image is tagged — by `name` when given (the first image only),
    /// else by the archive's `RepoTags` / `io.containerd.image.name` /
    /// `org.opencontainers.image.ref.name`.
    ///
    /// All or nothing: on any error, the blobs and layers this load added are removed again and
    /// `index.json` is untouched.
    @discardableResult
    public func load(archiveAt path: String, name: String? = nil) throws -> [ImageRecord] {
        let staging = try layerStore.makeWorkDirectory("load")
        defer { try? FileAttributes.removeTree(staging) }
        var added = Additions()
        do {
            let archive = try StagedArchive(path, into: staging)
            var loaded: [(String, Descriptor)]
            if archive.file("manifest.json") != nil {
                loaded = try loadDockerArchive(archive, name: name, added: &added)
            } else if archive.file("index.json") != nil {
                loaded = try loadOCILayout(archive, name: name, added: &added)
            } else {
                throw ImageError.invalidImage("\(path) is neither a docker archive (manifest.json) nor an OCI layout (index.json)")
            }
            if let name, let first = loaded.first { loaded = [(try Self.normalize(name), first.1)] }
            guard !loaded.isEmpty else { throw ImageError.invalidImage("\(path) names no image; pass a name to load it as") }
            try updateIndex { index in
                for (full, manifest) in loaded { Self.setTag(full, manifest, in: &index) }
            }
            return loaded.map { ImageRecord(name: $0.0, manifest: $0.1) }
        } catch {
            for id in added.layers { try? layerStore.remove(id) }
            for digest in added.blobs { try? content.remove(digest) }
            throw error
        }
    }

    /// What a load added, to undo on failure.
    struct Additions {
        var blobs: [Digest] = []
        var layers: [LayerID] = []
    }

    private func loadDockerArchive(_ archive: StagedArchive, name: String?, added: inout Additions) throws -> [(String, Descriptor)] {
        let entries = try CanonicalJSON.decode([DockerArchiveEntry].self, from: try archive.data("manifest.json"),
                                               what: "manifest.json")
        guard !entries.isEmpty else { throw ImageError.invalidImage("manifest.json lists no image") }
        var result: [(String, Descriptor)] = []
        for (position, entry) in entries.enumerated() {
            if name != nil && position > 0 { break }
            let configData = try archive.data(entry.config)
            let config = try CanonicalJSON.decode(ImageConfig.self, from: configData, what: entry.config)
            guard config.rootfs.diffIDs.count == entry.layers.count else {
                throw ImageError.invalidImage("\(entry.config): \(entry.layers.count) layers but \(config.rootfs.diffIDs.count) diff_ids")
            }
            let configDigest = try put(data: configData, expected: nil, added: &added)
            var layers: [Descriptor] = []
            for (layerPath, diffID) in zip(entry.layers, config.rootfs.diffIDs) {
                guard let staged = archive.file(layerPath) else { throw ImageError.invalidImage("layer \(layerPath) is missing") }
                let compression = try LayerCompression.detect(fileAt: staged)
                guard let mediaType = compression.mediaType else {
                    throw ImageError.unsupported("layer \(layerPath) is \(compression.rawValue)-compressed, which no image format names")
                }
                let digest = try put(file: staged, expected: nil, added: &added)
                let blob = Descriptor(mediaType: mediaType, digest: digest, size: try content.size(of: digest))
                try importLayer(blob, diffID: diffID, added: &added)
                layers.append(blob)
            }
            let manifest = ImageManifest(config: Descriptor(mediaType: MediaType.imageConfig, digest: configDigest,
                                                            size: Int64(configData.count)), layers: layers)
            let manifestData = try CanonicalJSON.encode(manifest)
            let manifestDigest = try put(data: manifestData, expected: nil, added: &added)
            let descriptor = Descriptor(mediaType: MediaType.imageManifest, digest: manifestDigest, size: Int64(manifestData.count))
            let tags = try (entry.repoTags ?? []).map(Self.normalize)
            if name != nil || tags.isEmpty {
                result.append(("", descriptor))   // named by the caller, or rejected as unnamed below
            } else {
                result += tags.map { ($0, descriptor) }
            }
        }
        if name == nil && result.contains(where: { $0.0.isEmpty }) {
            throw ImageError.invalidImage("the archive has an image without RepoTags; pass a name to load it as")
        }
        return result
    }

    private func loadOCILayout(_ archive: StagedArchive, name: String?, added: inout Additions) throws -> [(String, Descriptor)] {
        let index = try CanonicalJSON.decode(ImageIndex.self, from: try archive.data("index.json"), what: "index.json")
        guard !index.manifests.isEmpty else { throw ImageError.invalidImage("index.json lists no image") }
        var result: [(String, Descriptor)] = []
        for (position, entry) in index.manifests.enumerated() {
            if name != nil && position > 0 { break }
            let descriptor = try importLayoutEntry(entry, from: archive, added: &added)
            if name != nil {
                result.append(("", descriptor))
                continue
            }
            let annotations = entry.annotations ?? [:]
            if let full = annotations[AnnotationKey.imageName] {
                result.append((try Self.normalize(full), descriptor))
            } else if let ref = annotations[AnnotationKey.refName], ref.contains("/") || ref.contains(":") || !Self.isTag(ref) {
                result.append((try Self.normalize(ref), descriptor))
            } else if let ref = annotations[AnnotationKey.refName] {
                throw ImageError.invalidImage("the layout names its image only by the tag \"\(ref)\"; pass a name to load it as")
            }
        }
        return result
    }

    /// Puts one image of an OCI layout's index (narrowed to the host platform when it is an
    /// index) into the stores: manifest, config and layers. Returns the manifest's descriptor.
    private func importLayoutEntry(_ entry: Descriptor, from archive: StagedArchive, added: inout Additions) throws -> Descriptor {
        var descriptor = entry
        descriptor.annotations = nil
        if MediaType.isIndex(entry.mediaType) {
            _ = try put(blob: entry, from: archive, added: &added)
            let nested = try CanonicalJSON.decode(ImageIndex.self, from: try archive.data(Self.blobPath(entry.digest)),
                                                  what: "index \(entry.digest)")
            descriptor = try Self.select(.host, from: nested.manifests, what: "index \(entry.digest)")
            descriptor.annotations = nil
        }
        let manifestData = try archive.data(Self.blobPath(descriptor.digest))
        _ = try put(data: manifestData, expected: descriptor.digest, added: &added)
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: manifestData, what: "manifest \(descriptor.digest)")
        let configData = try archive.data(Self.blobPath(manifest.config.digest))
        _ = try put(data: configData, expected: manifest.config.digest, added: &added)
        let config = try CanonicalJSON.decode(ImageConfig.self, from: configData, what: "config \(manifest.config.digest)")
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw ImageError.invalidImage("manifest \(descriptor.digest): \(manifest.layers.count) layers but \(config.rootfs.diffIDs.count) diff_ids")
        }
        for (layer, diffID) in zip(manifest.layers, config.rootfs.diffIDs) {
            _ = try put(blob: layer, from: archive, added: &added)
            try importLayer(layer, diffID: diffID, added: &added)
        }
        return descriptor
    }

    /// Imports the image `reference` (a tag in `org.opencontainers.image.ref.name`, or a
    /// manifest digest; nil when the layout holds one image) from an OCI layout, a directory or
    /// a tar, without naming it: `--build-context NAME=oci-layout://PATH[:TAG|@DIGEST]`.
    /// Returns the manifest digest, which `resolve` accepts. All or nothing, like `load`.
    public func importLayout(at path: String, reference: String?) throws -> Digest {
        let staging = try layerStore.makeWorkDirectory("layout")
        defer { try? FileAttributes.removeTree(staging) }
        var added = Additions()
        do {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImageError.invalidImage("\(path) does not exist")
            }
            let archive = isDirectory.boolValue ? try StagedArchive(directory: path) : try StagedArchive(path, into: staging)
            guard archive.file("index.json") != nil else { throw ImageError.invalidImage("\(path) is not an OCI layout (no index.json)") }
            let index = try CanonicalJSON.decode(ImageIndex.self, from: try archive.data("index.json"), what: "index.json")
            let names = index.manifests.compactMap { $0.annotations?[AnnotationKey.refName] }
            let entry: Descriptor?
            if let reference {
                entry = index.manifests.first { $0.digest.value == reference || $0.annotations?[AnnotationKey.refName] == reference }
            } else {
                entry = index.manifests.count == 1 ? index.manifests[0] : nil
            }
            guard let entry else {
                let what = reference.map { "no image \"\($0)\"" } ?? "\(index.manifests.count) images"
                throw ImageError.invalidImage("\(path) has \(what); it names: \(names.isEmpty ? "nothing" : names.joined(separator: ", "))")
            }
            return try importLayoutEntry(entry, from: archive, added: &added).digest
        } catch {
            for id in added.layers { try? layerStore.remove(id) }
            for digest in added.blobs { try? content.remove(digest) }
            throw error
        }
    }

    /// A bare tag like `latest` or `v1.2` (which OCI layouts use as ref names) rather than a name.
    private static func isTag(_ text: String) -> Bool {
        text.contains(".") || text.first?.isNumber == true || text == "latest"
    }

    static func blobPath(_ digest: Digest) -> String { "blobs/sha256/" + digest.hex }

    private func importLayer(_ blob: Descriptor, diffID: Digest, added: inout Additions) throws {
        if try layerStore.find(diffID: diffID) != nil { return }
        let id = try layerStore.importLayer(blobAt: content.path(for: blob.digest), compression: LayerCompression(mediaType: blob.mediaType),
                                            expectedDiffID: diffID, blob: blob)
        added.layers.append(id)
    }

    private func put(blob: Descriptor, from archive: StagedArchive, added: inout Additions) throws -> Digest {
        guard let staged = archive.file(Self.blobPath(blob.digest)) else {
            throw ImageError.invalidImage("blob \(blob.digest) is missing from the archive")
        }
        return try put(file: staged, expected: blob.digest, added: &added)
    }

    private func put(file: String, expected: Digest?, added: inout Additions) throws -> Digest {
        if let expected, content.contains(expected) { return expected }
        let digest = try Digest.sha256(fileAt: file)
        if let expected, expected != digest { throw ImageError.digestMismatch(expected: expected, actual: digest) }
        if content.contains(digest) { return digest }
        try content.put(fileAt: file, expected: digest)
        added.blobs.append(digest)
        return digest
    }

    private func put(data: Data, expected: Digest?, added: inout Additions) throws -> Digest {
        let digest = Digest.sha256(data)
        if let expected, expected != digest { throw ImageError.digestMismatch(expected: expected, actual: digest) }
        if content.contains(digest) { return digest }
        try content.put(data, expected: digest)
        added.blobs.append(digest)
        return digest
    }
}

/// An archive read once into a staging directory: regular files land as numbered files, and
/// symlinks/hardlinks (old `docker save` links repeated `layer.tar`s) resolve within the archive.
/// Nothing in it is ever followed on the host, so a hostile archive can only fail to load.
struct StagedArchive {
    private var files: [String: String] = [:]
    private var aliases: [String: String] = [:]

    init(_ path: String, into staging: String) throws {
        let compression = try LayerCompression.detect(fileAt: path)
        let reader = TarReader(try compression.decompressing(fileAt: path))
        var counter = 0
        while let entry = try reader.next() {
            let parts = try ConfinedDirectory.components(entry.path)
            let key = parts.joined(separator: "/")
            switch entry.kind {
            case .file:
                counter += 1
                let staged = staging + "/\(counter)"
                let sink = try FileSink(path: staged)
                try reader.copyData(to: sink)
                try sink.finish()
                files[key] = staged
                aliases[key] = nil
            case .symlink:
                let base = entry.linkTarget.hasPrefix("/") ? [] : Array(parts.dropLast())
                var resolved: [String] = base
                for part in entry.linkTarget.split(separator: "/") where part != "." {
                    if part == ".." { _ = resolved.popLast() } else { resolved.append(String(part)) }
                }
                aliases[key] = resolved.joined(separator: "/")
            case .hardlink:
                aliases[key] = try ConfinedDirectory.components(entry.linkTarget).joined(separator: "/")
            default:
                continue
            }
        }
    }

    /// A layout that is already a directory: its regular files are used in place (links in it
    /// are not followed).
    init(directory: String) throws {
        let base = (directory as NSString).standardizingPath
        guard let walker = FileManager.default.enumerator(atPath: base) else {
            throw ImageError.invalidImage("cannot read \(directory)")
        }
        for case let relative as String in walker {
            var st = stat()
            let full = base + "/" + relative
            if lstat(full, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { files[TarEntry.clean(relative)] = full }
        }
    }

    /// The staged file for an archive path, following links (at most 16 hops).
    func file(_ path: String) -> String? {
        var key = TarEntry.clean(path)
        for _ in 0..<16 {
            if let staged = files[key] { return staged }
            guard let next = aliases[key] else { return nil }
            key = next
        }
        return nil
    }

    func data(_ path: String) throws -> Data {
        guard let staged = file(path) else { throw ImageError.invalidImage("\(path) is missing from the archive") }
        return try FileSource(path: staged).readAll(limit: 64 << 20)
    }
}
