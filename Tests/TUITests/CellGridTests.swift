import Testing
@testable import TUI

@Suite struct CellGridTests {
    @Test func putClipsAndRendersAsText() {
        var grid = CellGrid(width: 6, height: 2)
        grid.put("hello world", x: 0, y: 0)
        grid.put("ab", x: 4, y: 1, style: 1)
        #expect(grid.text == "hello\n    ab")
        #expect(grid[4, 1].style == 1)
    }
}
