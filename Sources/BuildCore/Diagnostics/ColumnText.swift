/// Text in a fixed-width column, for the tables the CLI prints and the dashboard draws: padded
/// with spaces to `width` characters, on the right (left-aligned) or, with `right`, on the left.
/// Longer text is kept whole (a table row grows rather than lose what it says).
public func padColumn(_ text: String, _ width: Int, right: Bool = false) -> String {
    let count = text.count
    guard count < width else { return text }
    let space = String(repeating: " ", count: width - count)
    return right ? space + text : text + space
}
