/// A key press or mouse action, already decoded by the terminal layer.
///
/// Letters (including the vim keys `h` `j` `k` `l`) arrive as `.char`; only keys that have no
/// character of their own get a case. Mouse coordinates are screen cells, (0, 0) top left, the
/// same space as the `CellGrid` that `render` returns, so the reducer can hit-test them against
/// the layout it drew.
public enum Key: Sendable, Equatable {
    case up, down, left, right
    case tab, shiftTab
    case enter, esc, backspace
    case pageUp, pageDown, home, end
    /// Ctrl-C: read as `q` (and as "yes" while the quit question is on screen).
    case interrupt
    case char(Character)
    case wheelUp(x: Int, y: Int)
    case wheelDown(x: Int, y: Int)
    case click(x: Int, y: Int)
}
