import Foundation

/// Docker's reference normalisation: `alpine` is `docker.io/library/alpine:latest`, as BuildKit
/// prints it in step names and resolves it.
public enum ImageReference {
    public static func normalize(_ reference: String) -> String {
        // A bare manifest digest (an image imported unnamed, e.g. from an OCI layout) stays one.
        if Digest(parsing: reference) != nil { return reference }
        var name = reference
        var digest = ""
        if let at = name.firstIndex(of: "@") {
            digest = String(name[at...])
            name = String(name[..<at])
        }
        let firstSlash = name.firstIndex(of: "/")
        var domain = "docker.io"
        var path = name
        if let slash = firstSlash {
            let first = name[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" {
                domain = String(first)
                path = String(name[name.index(after: slash)...])
            }
        }
        if domain == "docker.io" && !path.contains("/") { path = "library/" + path }
        let lastComponent = path.split(separator: "/").last.map(String.init) ?? path
        if digest.isEmpty && !lastComponent.contains(":") { path += ":latest" }
        return domain + "/" + path + digest
    }
}
