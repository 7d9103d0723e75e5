import Foundation

/// Reads `--build-context NAME=VALUE` the way buildx does:
/// - `docker-image://REF`: an image (here: from the local image store);
/// - `oci-layout://PATH[:TAG]` or `oci-layout://PATH@sha256:…`: an image in an OCI layout
///   (a directory or a tar), imported into the store unnamed and referred to by digest;
/// - anything else: a local directory, with its own `.dockerignore`.
/// Remote sources (git, https) need a network fetcher this builder does not have: they are refused.
enum NamedContextSpec {
    static func resolve(name: String, value: String, store: ImageStore) throws(FrontendError) -> NamedContext {
        guard !name.isEmpty, !name.contains("="), !name.contains(" ") else {
            throw FrontendError(.invalidFlag, "invalid --build-context name \(GoQuote.quote(name))")
        }
        if value.hasPrefix("docker-image://") {
            let ref = String(value.dropFirst("docker-image://".count))
            guard !ref.isEmpty else { throw FrontendError(.invalidFlag, "--build-context \(name): docker-image:// needs an image reference") }
            return .image(ref)
        }
        if value.hasPrefix("oci-layout://") {
            let (path, reference) = splitLayout(String(value.dropFirst("oci-layout://".count)))
            do {
                return .image(try store.importLayout(at: path, reference: reference).value)
            } catch {
                throw FrontendError(.invalidFlag, "--build-context \(name)=\(value): \(error)")
            }
        }
        if value.hasPrefix("https://") || value.hasPrefix("http://") || value.hasPrefix("git@") || value.hasPrefix("git://")
            || value.hasPrefix("target:") || value.hasPrefix("input:") {
            throw FrontendError(.invalidFlag, "--build-context \(name)=\(value): only docker-image://, oci-layout:// and local directories are supported")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: value, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FrontendError(.invalidFlag, "--build-context \(name)=\(value): not a directory")
        }
        return .local((value as NSString).standardizingPath)
    }

    /// `PATH:TAG`, `PATH@sha256:…` or `PATH` (the tag, when any, follows the last `/`).
    static func splitLayout(_ text: String) -> (path: String, reference: String?) {
        if let at = text.range(of: "@sha256:") {
            return (String(text[..<at.lowerBound]), String(text[text.index(after: at.lowerBound)...]))
        }
        let lastSlash = text.lastIndex(of: "/") ?? text.startIndex
        if let colon = text[lastSlash...].lastIndex(of: ":") {
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        return (text, nil)
    }
}
