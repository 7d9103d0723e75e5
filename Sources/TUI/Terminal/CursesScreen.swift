import CNCurses
import Foundation

/// The only code that talks to ncurses: it starts and restores the terminal, paints the cells
/// that changed since the last frame, and reads keys (and mouse events). Everything it shows comes
/// from a `CellGrid`; everything it reads is handed on as a `RawKey`.
public final class CursesScreen: @unchecked Sendable {
    public enum RawKey: Sendable, Equatable {
        case character(Character)
        case up, down, left, right, pageUp, pageDown, home, end, enter, escape, tab, backTab, backspace
        case wheelUp(x: Int, y: Int), wheelDown(x: Int, y: Int)
        case click(x: Int, y: Int)
        case resize
    }

    private var previous: CellGrid?
    private let colors: Bool
    private var active = false
    nonisolated(unsafe) private static var current: CursesScreen?
    nonisolated(unsafe) private static var restoresAtExit = false

    /// Starts curses mode. `colors` false (NO_COLOR, or a terminal without colors) maps styles to
    /// bold/reverse/dim only.
    public init(colors: Bool) {
        setlocale(LC_ALL, "")
        _ = initscr()
        cbreak()
        noecho()
        nonl()
        intrflush(swb_stdscr(), false)
        keypad(swb_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        wtimeout(swb_stdscr(), 50)
        mousemask(swb_button1_clicked() | swb_button4_pressed() | swb_button5_pressed(), nil)
        self.colors = colors && swb_has_colors() != 0
        if self.colors {
            start_color()
            use_default_colors()
            for (index, pair) in Self.palette.enumerated() {
                init_pair(Int16(index + 1), pair.fg, pair.bg)
            }
        }
        active = true
        Self.current = self
        if !Self.restoresAtExit {
            // Once per process: every screen of a session (home, then a replay...) shares it.
            Self.restoresAtExit = true
            atexit { CursesScreen.current?.restore() }
        }
    }

    deinit { restore() }

    /// True once the terminal has hung up (its window closed, the ssh connection dropped): the
    /// dashboard then stops instead of waiting for keys that can never come.
    public var terminalGone: Bool {
        var watch = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&watch, 1, 0) > 0 else { return false }
        return watch.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    /// Leaves curses mode and gives the terminal back as it was. Safe to call more than once, and
    /// from an exit handler.
    public func restore() {
        guard active else { return }
        active = false
        curs_set(1)
        endwin()
    }

    /// Leaves curses mode while `body` runs a program on the terminal (a pager), then comes back
    /// and repaints everything.
    public func suspend(_ body: () -> Void) {
        guard active else { return body() }
        def_prog_mode()
        endwin()
        body()
        reset_prog_mode()
        previous = nil
        refresh()
    }

    /// The dashboard's mouse clicks and wheel on or off (off: the terminal selects text).
    public func captureMouse(_ on: Bool) {
        mousemask(on ? swb_button1_clicked() | swb_button4_pressed() | swb_button5_pressed() : 0, nil)
    }

    public var size: (width: Int, height: Int) {
        (Int(swb_getmaxx(swb_stdscr())), Int(swb_getmaxy(swb_stdscr())))
    }

    /// Foreground/background per style index (style 0 is the terminal's default).
    static let palette: [(fg: Int16, bg: Int16)] = [
        (Int16(COLOR_WHITE), -1), (Int16(COLOR_CYAN), -1), (Int16(COLOR_YELLOW), -1), (Int16(COLOR_GREEN), -1),
        (Int16(COLOR_BLUE), -1), (Int16(COLOR_RED), -1), (Int16(COLOR_BLACK), Int16(COLOR_WHITE)), (Int16(COLOR_BLACK), Int16(COLOR_YELLOW)),
        (Int16(COLOR_MAGENTA), -1), (Int16(COLOR_WHITE), Int16(COLOR_BLUE)), (Int16(COLOR_BLACK), Int16(COLOR_CYAN)),
        (Int16(COLOR_WHITE), Int16(COLOR_RED)),
    ]

    /// Curses attributes for a style: a color pair (when colors are on) plus emphasis.
    public var attributes: (UInt8) -> Int32 = { _ in 0 }

    /// Paints the difference between the last frame and `grid`, then refreshes once.
    public func paint(_ grid: CellGrid) {
        guard active else { return }
        let full = previous == nil || previous?.width != grid.width || previous?.height != grid.height
        if full { erase() }
        var buffer: [wchar_t] = []
        buffer.reserveCapacity(grid.width)
        for y in 0..<grid.height {
            if !full, let prev = previous, (0..<grid.width).allSatisfy({ prev[$0, y] == grid[$0, y] }) { continue }
            var x = 0
            while x < grid.width {
                let style = grid[x, y].style
                let start = x
                buffer.removeAll(keepingCapacity: true)
                while x < grid.width, grid[x, y].style == style {
                    let scalar = grid[x, y].character.unicodeScalars.first ?? " "
                    buffer.append(wchar_t(bitPattern: scalar.value))
                    x += 1
                }
                _ = swb_attrset(attributes(style))
                buffer.append(0)
                _ = buffer.withUnsafeBufferPointer { swb_mvaddnwstr(Int32(y), Int32(start), $0.baseAddress, Int32(x - start)) }
            }
        }
        _ = swb_attrset(0)
        refresh()
        previous = grid
    }

    /// Forces a full repaint on the next frame (after a resize).
    public func invalidate() {
        previous = nil
    }

    /// Waits up to `milliseconds` for a key (0: only looks); nil when none came. A byte on
    /// `wake` (see `WakePipe`) ends the wait early, so news other than keys is not kept waiting.
    public func readKey(timeout milliseconds: Int = 50, wake: WakePipe? = nil) -> RawKey? {
        if let wake, milliseconds > 0 {
            // Keys ncurses already holds come first; then wait on the terminal and the pipe.
            if let key = readKey(timeout: 0) { return key }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.readEnd, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, Int32(clamping: milliseconds))
            if fds[1].revents != 0 { wake.drain() }
            // A key, or a resize (SIGWINCH interrupts the wait), is there to take now.
            return readKey(timeout: 0)
        }
        wtimeout(swb_stdscr(), Int32(clamping: max(0, milliseconds)))
        var wide: wint_t = 0
        let kind = wget_wch(swb_stdscr(), &wide)
        if kind == swb_err() { return nil }
        let code = Int32(bitPattern: wide)
        if kind == swb_key_code_yes() {
            switch code {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_ENTER: return .enter
            case KEY_BACKSPACE: return .backspace
            case swb_key_btab(): return .backTab
            case swb_key_resize():
                invalidate()
                return .resize
            case swb_key_mouse():
                var event = MEVENT()
                guard getmouse(&event) == swb_ok() else { return nil }
                if event.bstate & swb_button4_pressed() != 0 { return .wheelUp(x: Int(event.x), y: Int(event.y)) }
                if event.bstate & swb_button5_pressed() != 0 { return .wheelDown(x: Int(event.x), y: Int(event.y)) }
                return .click(x: Int(event.x), y: Int(event.y))
            default: return nil
            }
        }
        switch code {
        case 9: return .tab
        case 10, 13: return .enter
        case 27: return .escape
        case 127, 8: return .backspace
        default:
            guard let scalar = Unicode.Scalar(UInt32(bitPattern: code)) else { return nil }
            return .character(Character(scalar))
        }
    }
}

/// A pipe that wakes a terminal loop waiting for keys (`CursesScreen.readKey(wake:)`): any
/// thread may `wake()` it; both ends are non-blocking and close-on-exec.
public final class WakePipe: @unchecked Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    public init?() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    public func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }
}
