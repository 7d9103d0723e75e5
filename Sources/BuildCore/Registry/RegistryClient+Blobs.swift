import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension RegistryClient {
    /// Blobs larger than this go up in chunks (`PATCH` with `Content-Range`), smaller ones in one
    /// `PUT`. `SWBUILD_UPLOAD_CHUNK` (bytes) sets both, for registries that want small chunks.
    static let monolithicLimit: Int64 = uploadChunkOverride ?? 256 << 20
    static let chunkSize: Int64 = uploadChunkOverride ?? 128 << 20
    static let uploadChunkOverride = ProcessInfo.processInfo.environment["SWBUILD_UPLOAD_CHUNK"].flatMap(Int64.init).map { max($0, 4096) }
    /// No layer or config of a real image is this large; a descriptor that says so is refused.
    static let blobLimit: Int64 = 1 << 40

    /// Downloads a blob into the content store, hashing while it streams: a dropped connection
    /// resumes with `Range`, a blob whose bytes differ from its digest or size never enters the
    /// store. `progress` gets the bytes received so far.
    public func fetchBlob(_ reference: RegistryReference, _ descriptor: Descriptor, into content: ContentStore, host: String? = nil,
                          progress: @Sendable (Int64) -> Void = { _ in }) async throws {
        if content.contains(descriptor.digest) { return }
        let what = "\(reference.registry)/\(reference.repository)@\(descriptor.digest.value)"
        guard descriptor.size >= 0, descriptor.size <= Self.blobLimit else {
            throw RegistryError("\(what): the manifest gives the blob an impossible size (\(descriptor.size) bytes)")
        }
        var writer = try content.makeWriter()
        var received: Int64 = 0
        var attempt = 0
        var lastError = ""
        while attempt < Self.attempts {
            attempt += 1
            if attempt > 1 { try await Self.pause(attempt - 1) }
            let headers = received > 0 ? [("Range", "bytes=\(received)-")] : []
            let response = try await send(.GET, host: host ?? reference.apiHost, registry: reference.registry,
                                          path: "/v2/\(reference.repository)/blobs/\(descriptor.digest.value)",
                                          headers: headers, scopes: [Self.pullScope(reference.repository)], what: what,
                                          timeout: .hours(6))
            switch response.status.code {
            case 200 where received > 0:
                // The server ignored the range: start over.
                writer = try content.makeWriter()
                received = 0
            case 200, 206:
                break
            default:
                try await expect(response, [200], what: what)
            }
            do {
                for try await buffer in response.body {
                    received += Int64(buffer.readableBytes)
                    guard received <= descriptor.size else {
                        throw RegistryError("\(what): the registry sent more than the \(descriptor.size) bytes the manifest gives the blob")
                    }
                    try buffer.withUnsafeReadableBytes { try writer.write($0) }
                    progress(received)
                }
            } catch let error as RegistryError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = Self.describe(error)
                continue
            }
            guard received == descriptor.size else {
                lastError = "the connection ended after \(received) of \(descriptor.size) bytes"
                continue
            }
            do {
                try writer.commit(expected: descriptor.digest)
            } catch ImageError.digestMismatch(_, let actual) {
                throw RegistryError("\(what): the blob's bytes hash to \(actual.value), not to its digest; nothing was stored")
            }
            return
        }
        throw RegistryError("\(what): download failed after \(Self.attempts) tries (\(received) of \(descriptor.size) bytes): \(lastError)")
    }

    /// `HEAD /v2/NAME/blobs/DIGEST`: whether the repository has the blob already.
    public func blobExists(_ reference: RegistryReference, _ digest: Digest, push: Bool = true) async throws -> Bool {
        let what = "\(reference.registry)/\(reference.repository)@\(digest.value)"
        let response = try await send(.HEAD, host: reference.apiHost, registry: reference.registry,
                                      path: "/v2/\(reference.repository)/blobs/\(digest.value)",
                                      scopes: [push ? Self.pushScope(reference.repository) : Self.pullScope(reference.repository)],
                                      what: what, timeout: .seconds(30))
        switch response.status.code {
        case 200: return true
        case 404: return false
        default:
            try await expect(response, [200, 404], what: what)
            return false
        }
    }

    /// How a blob reached the registry.
    public enum BlobPush: String, Sendable {
        case existed = "already exists"
        case mounted = "mounted"
        case uploaded = "pushed"
    }

    /// Pushes one blob from a file: nothing when the repository has it, a cross-repository mount
    /// when `mountFrom` (a repository on the same registry) holds it, else an upload — one `PUT`
    /// for small blobs, `PATCH` chunks then `PUT` for large ones.
    public func pushBlob(_ reference: RegistryReference, _ descriptor: Descriptor, file: String, mountFrom: String? = nil,
                         progress: @escaping @Sendable (Int64) -> Void = { _ in }) async throws -> BlobPush {
        if try await blobExists(reference, descriptor.digest) { return .existed }
        let what = "\(reference.registry)/\(reference.repository)@\(descriptor.digest.value)"
        var scopes = [Self.pushScope(reference.repository)]
        var path = "/v2/\(reference.repository)/blobs/uploads/"
        if let source = mountFrom, source != reference.repository {
            scopes.append(Self.pullScope(source))
            path += "?mount=\(descriptor.digest.value)&from=\(source)"
        }
        var attempt = 0
        while true {
            attempt += 1
            let start = try await send(.POST, host: reference.apiHost, registry: reference.registry, path: path,
                                       headers: [("Content-Length", "0")], scopes: scopes, what: what, idempotent: false)
            if start.status.code == 201 { return .mounted }
            try await expect(start, [202], what: what)
            guard var location = start.headers.first(name: "Location") else {
                throw RegistryError("\(what): the registry started an upload without a Location")
            }
            do {
                location = try await absolute(location, host: reference.apiHost)
                if descriptor.size <= Self.monolithicLimit {
                    try await finishUpload(location, reference: reference, digest: descriptor.digest, scopes: scopes, what: what,
                                           body: (file, 0, descriptor.size), progress: progress)
                } else {
                    var offset: Int64 = 0
                    while offset < descriptor.size {
                        let length = min(Self.chunkSize, descriptor.size - offset)
                        let chunkStart = offset
                        let response = try await send(.PATCH, host: reference.apiHost, registry: reference.registry, path: location,
                                                      headers: [("Content-Type", "application/octet-stream"),
                                                                ("Content-Range", "\(offset)-\(offset + length - 1)"),
                                                                ("Content-Length", "\(length)")],
                                                      body: { FileChunks.body(file, offset: chunkStart, length: length) { progress(chunkStart + $0) } },
                                                      scopes: scopes, what: what, idempotent: false, timeout: .hours(1))
                        try await expect(response, [202], what: what)
                        if let next = response.headers.first(name: "Location") { location = try await absolute(next, host: reference.apiHost) }
                        offset += length
                    }
                    try await finishUpload(location, reference: reference, digest: descriptor.digest, scopes: scopes, what: what,
                                           body: nil, progress: progress)
                }
                return .uploaded
            } catch let error as RegistryError where error.status == nil && attempt < Self.attempts {
                // A dropped connection: uploads are not resumable here, so start the blob again.
                _ = error
                try await Self.pause(attempt)
                path = "/v2/\(reference.repository)/blobs/uploads/"
                continue
            }
        }
    }

    private func finishUpload(_ location: String, reference: RegistryReference, digest: Digest, scopes: [String], what: String,
                              body: (String, Int64, Int64)?, progress: @escaping @Sendable (Int64) -> Void) async throws {
        let url = location + (location.contains("?") ? "&" : "?") + "digest=" + digest.value
        var headers = [("Content-Type", "application/octet-stream")]
        headers.append(("Content-Length", "\(body?.2 ?? 0)"))
        let response = try await send(.PUT, host: reference.apiHost, registry: reference.registry, path: url, headers: headers,
                                      body: body.map { file, offset, length in
                                          { @Sendable in FileChunks.body(file, offset: offset, length: length, progress: progress) } },
                                      scopes: scopes, what: what, idempotent: false, timeout: .hours(1))
        try await expect(response, [201, 204], what: what)
    }

    /// A `Location` header as an absolute URL on the registry's base.
    func absolute(_ location: String, host: String) async throws -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        return await baseURL(for: host) + (location.hasPrefix("/") ? location : "/" + location)
    }
}

/// A file region read in 1 MiB pieces, as a request body that never holds the whole blob.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let offset: Int64
    let length: Int64
    let progress: @Sendable (Int64) -> Void

    static func body(_ path: String, offset: Int64, length: Int64, progress: @escaping @Sendable (Int64) -> Void) -> HTTPClientRequest.Body {
        .stream(FileChunks(path: path, offset: offset, length: length, progress: progress), length: .known(length))
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var fd: Int32 = -1
        var sent: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            if fd < 0 {
                fd = open(chunks.path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw RegistryError("cannot open \(chunks.path): \(String(cString: strerror(errno)))") }
            }
            guard sent < chunks.length else {
                close(fd)
                return nil
            }
            let want = Int(Swift.min(1 << 20, chunks.length - sent))
            var buffer = ByteBufferAllocator().buffer(capacity: want)
            let fd = self.fd
            let position = chunks.offset + sent
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                pread(fd, raw.baseAddress, want, off_t(position))
            }
            guard count > 0 else {
                close(fd)
                throw RegistryError("\(chunks.path) ended after \(sent) of \(chunks.length) bytes")
            }
            sent += Int64(count)
            chunks.progress(sent)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}
