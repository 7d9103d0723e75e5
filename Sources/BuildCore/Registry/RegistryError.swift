import Foundation

/// A registry operation that failed, said in one line that names the registry and the reference
/// (`127.0.0.1:5000/app:1.0: 404 MANIFEST_UNKNOWN: manifest unknown`). Never holds a credential:
/// the registry's own error body is shown, headers and tokens are not.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The HTTP status, when the registry answered.
    public var status: Int?

    public init(_ description: String, status: Int? = nil) {
        self.description = description
        self.status = status
    }

    static func invalidReference(_ text: String, _ why: String) -> RegistryError {
        RegistryError("invalid reference \"\(text)\": \(why)")
    }

    /// A registry's error answer: its `errors` list (`CODE: message`) when the body is the
    /// distribution API's JSON, else the first line of the body, else the status text.
    static func answer(_ what: String, status: Int, body: Data) -> RegistryError {
        struct Body: Decodable {
            struct Entry: Decodable { var code: String?; var message: String? }
            var errors: [Entry]?
        }
        var detail = ""
        if let parsed = try? JSONDecoder().decode(Body.self, from: body), let errors = parsed.errors, !errors.isEmpty {
            detail = errors.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
        } else {
            let text = String(decoding: body.prefix(512), as: UTF8.self)
            detail = text.split(whereSeparator: \.isNewline).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
        }
        let reason = HTTPStatusText.reason(status)
        return RegistryError("\(what): \(status) \(reason)" + (detail.isEmpty ? "" : ": " + detail), status: status)
    }
}

enum HTTPStatusText {
    static func reason(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 416: "Range Not Satisfiable"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}
