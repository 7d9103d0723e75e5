/// `/`-separated path arithmetic on plain strings.
///
/// Foundation's `NSString.deletingLastPathComponent` traps on some one-character relative names
/// (`x`, `é`) on Linux, and a build meets whatever names a context holds; so paths are taken
/// apart here instead.
public enum PathText {
    /// The directory part: `a/b` → `a`, `/x` → `/`, `x` → `` (as `NSString` would say).
    public static func parent(of path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        var parent = p[..<slash]
        while parent.count > 1, parent.hasSuffix("/") { parent = parent.dropLast() }
        return parent.isEmpty ? "/" : String(parent)
    }

    /// The last component: `a/b/` → `b`, `/` → `/`, `x` → `x` (as `NSString` would say).
    public static func lastComponent(of path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/"), p.count > 1 else { return String(p) }
        return String(p[p.index(after: slash)...])
    }
}
