/// How many log lines the dashboard keeps in memory. Older lines are dropped and counted.
struct LogLimits: Sendable, Equatable {
    var perStep = 5_000
    var total = 100_000
}
