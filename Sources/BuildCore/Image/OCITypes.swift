import Foundation

/// Media types of the OCI image spec and the Docker v2 schema 2 equivalents we read.
public enum MediaType {
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let imageConfig = "application/vnd.oci.image.config.v1+json"
    public static let layer = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let layerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"

    public static func isIndex(_ type: String?) -> Bool { type == imageIndex || type == dockerManifestList }
    public static func isManifest(_ type: String?) -> Bool { type == imageManifest || type == dockerManifest }
}

/// Well-known annotation keys.
public enum AnnotationKey {
    /// The OCI layout's reference name: by convention the tag only (`latest`).
    public static let refName = "org.opencontainers.image.ref.name"
    /// containerd's full image name (`docker.io/library/busybox:latest`), which BuildKit and
    /// `ctr` write next to the tag-only ref name.
    public static let imageName = "io.containerd.image.name"
    public static let created = "org.opencontainers.image.created"
}

/// A content descriptor: what a manifest or index says about a blob it points to.
public struct Descriptor: Codable, Sendable, Equatable, Hashable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var urls: [String]?
    public var annotations: [String: String]?
    public var platform: Platform?
    public var artifactType: String?

    public init(mediaType: String, digest: Digest, size: Int64, annotations: [String: String]? = nil,
                platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

/// An image manifest (OCI, or Docker schema 2 which has the same shape).
public struct ImageManifest: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
        schemaVersion = 2
        mediaType = MediaType.imageManifest
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// An image index (OCI) or manifest list (Docker); also the shape of a layout's `index.json`.
public struct ImageIndex: Codable, Sendable, Equatable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(manifests: [Descriptor], annotations: [String: String]? = nil) {
        schemaVersion = 2
        mediaType = MediaType.imageIndex
        self.manifests = manifests
        self.annotations = annotations
    }
}

/// An encoded `{}`: the value type of docker's set-like maps (`ExposedPorts`, `Volumes`).
public struct EmptyObject: Codable, Sendable, Equatable, Hashable {
    public init() {}
}

/// The image configuration (OCI image spec `config.json`; Docker's is a superset we read).
/// Key names are the spec's exactly — `diff_ids`, `created_by`, `empty_layer`, `ExposedPorts` —
/// because other tools read these bytes and their digest is the image id.
public struct ImageConfig: Codable, Sendable, Equatable {
    /// RFC 3339 time, kept as text so re-encoding never changes the bytes of a date.
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?
    public var config: ContainerConfig?
    public var rootfs: RootFS
    public var history: [History]?

    enum CodingKeys: String, CodingKey {
        case created, author, architecture, os, variant, config, rootfs, history
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(platform: Platform, config: ContainerConfig? = ContainerConfig(), created: String? = nil,
                history: [History]? = nil) {
        architecture = platform.architecture
        os = platform.os
        variant = platform.variant
        self.config = config
        self.created = created
        self.history = history
        rootfs = RootFS(diffIDs: [])
    }

    public var platform: Platform { Platform(os: os, architecture: architecture, variant: variant) }

    /// The runtime defaults (`config` in the JSON; Docker's capitalised keys).
    public struct ContainerConfig: Codable, Sendable, Equatable {
        public var user: String?
        public var exposedPorts: [String: EmptyObject]?
        public var env: [String]?
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var volumes: [String: EmptyObject]?
        public var workingDir: String?
        public var labels: [String: String]?
        public var stopSignal: String?
        public var argsEscaped: Bool?
        public var healthcheck: HealthConfig?
        public var shell: [String]?
        public var onBuild: [String]?

        enum CodingKeys: String, CodingKey {
            case user = "User", exposedPorts = "ExposedPorts", env = "Env", entrypoint = "Entrypoint", cmd = "Cmd"
            case volumes = "Volumes", workingDir = "WorkingDir", labels = "Labels", stopSignal = "StopSignal"
            case argsEscaped = "ArgsEscaped", healthcheck = "Healthcheck", shell = "Shell", onBuild = "OnBuild"
        }

        public init(env: [String]? = nil, cmd: [String]? = nil, entrypoint: [String]? = nil, workingDir: String? = nil,
                    user: String? = nil, labels: [String: String]? = nil) {
            self.env = env
            self.cmd = cmd
            self.entrypoint = entrypoint
            self.workingDir = workingDir
            self.user = user
            self.labels = labels
        }
    }

    /// HEALTHCHECK; durations in nanoseconds, as Go's `time.Duration` encodes them.
    public struct HealthConfig: Codable, Sendable, Equatable {
        public var test: [String]?
        public var interval: Int64?
        public var timeout: Int64?
        public var startPeriod: Int64?
        public var startInterval: Int64?
        public var retries: Int?

        enum CodingKeys: String, CodingKey {
            case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod"
            case startInterval = "StartInterval", retries = "Retries"
        }

        public init(test: [String]?, interval: Int64? = nil, timeout: Int64? = nil, startPeriod: Int64? = nil,
                    startInterval: Int64? = nil, retries: Int? = nil) {
            self.test = test
            self.interval = interval
            self.timeout = timeout
            self.startPeriod = startPeriod
            self.startInterval = startInterval
            self.retries = retries
        }
    }

    public struct RootFS: Codable, Sendable, Equatable {
        public var type: String
        public var diffIDs: [Digest]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(diffIDs: [Digest]) {
            type = "layers"
            self.diffIDs = diffIDs
        }
    }

    public struct History: Codable, Sendable, Equatable {
        public var created: String?
        public var createdBy: String?
        public var author: String?
        public var comment: String?
        public var emptyLayer: Bool?

        enum CodingKeys: String, CodingKey {
            case created, author, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }

        public init(created: String? = nil, createdBy: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.comment = comment
            self.emptyLayer = emptyLayer
        }
    }
}

/// One image of a docker archive's `manifest.json` (`docker save` / `podman save`).
public struct DockerArchiveEntry: Codable, Sendable, Equatable {
    public var config: String
    public var repoTags: [String]?
    public var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config", repoTags = "RepoTags", layers = "Layers"
    }

    public init(config: String, repoTags: [String]?, layers: [String]) {
        self.config = config
        self.repoTags = repoTags
        self.layers = layers
    }
}

/// The bytes every JSON document we hash is made of: keys sorted, slashes unescaped, no
/// whitespace. The same value always encodes to the same bytes, so the same image always has
/// the same digest.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw ImageError.invalidImage("cannot encode \(T.self): \(error)")
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ImageError.invalidImage("\(what) is not valid JSON for \(T.self): \(error)")
        }
    }

    /// RFC 3339 UTC (`2024-01-02T03:04:05Z`) for a Unix time, as `created` fields want it.
    public static func timestamp(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
