/// A bounded first-in-first-out buffer: appending to a full ring overwrites its oldest element.
///
/// It is what keeps a flooding step from growing the dashboard's memory: storage never exceeds
/// `capacity` slots, and slots are allocated only as elements arrive (a step that prints three
/// lines costs three slots, not `capacity`). Removed slots are cleared at once, so their strings
/// are freed, not merely hidden.
struct LogRing<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element?] = []
    /// Physical index of the oldest element.
    private var head = 0
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var isEmpty: Bool { count == 0 }

    /// The element `i` places after the oldest (0 is the oldest); nil outside `0..<count`.
    subscript(i: Int) -> Element? {
        guard i >= 0, i < count, !storage.isEmpty else { return nil }
        return storage[(head + i) % storage.count]
    }

    var last: Element? { self[count - 1] }

    /// Appends `element`; returns true when that pushed the oldest element out.
    @discardableResult
    mutating func append(_ element: Element) -> Bool {
        if storage.count < capacity {
            // Still growing: elements sit contiguously in storage[head...], so they never wrap.
            storage.append(element)
            count += 1
            return false
        }
        if count < capacity {
            storage[(head + count) % capacity] = element
            count += 1
            return false
        }
        storage[head] = element
        head = (head + 1) % capacity
        return true
    }

    /// Drops the `n` oldest elements (fewer if there are not that many).
    mutating func removeFirst(_ n: Int) {
        let n = min(max(0, n), count)
        guard n > 0, !storage.isEmpty else { return }
        for i in 0..<n { storage[(head + i) % storage.count] = nil }
        head = (head + n) % storage.count
        count -= n
        if count == 0 {
            storage.removeAll(keepingCapacity: false)
            head = 0
        }
    }
}
