/// What the user picked on the home screen; the caller carries it out.
public enum HomeChoice: Sendable, Equatable {
    /// Open the dashboard on this running build.
    case attach(id: String)
    /// Replay this build from the history.
    case replay(id: String)
    /// Show this build's record (steps, miss reasons).
    case inspect(id: String)
    /// Compare build `with` against build `base` (`c` on one build, then `c` on another).
    case compare(base: String, with: String)
    /// Build the Dockerfile at this path.
    case build(path: String)
    /// Gather the entries again and show the home screen anew.
    case refresh
}
