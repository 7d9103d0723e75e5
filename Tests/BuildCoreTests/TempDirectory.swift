import Foundation

/// A temporary directory removed when the test ends (tests never write outside their own).
final class TempDirectory {
    let path: String

    init(_ label: String = "t") {
        path = NSTemporaryDirectory() + "swbuild-\(label)-" + UUID().uuidString.lowercased()
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func write(_ relative: String, _ content: String, mode: Int = 0o644) -> String {
        let file = path + "/" + relative
        try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: file, contents: Data(content.utf8), attributes: [.posixPermissions: mode])
        return file
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }
}
