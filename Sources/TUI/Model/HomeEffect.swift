/// What the home screen asks its caller to do.
public enum HomeEffect: Sendable, Equatable {
    /// The user picked something: leave the home screen and carry it out.
    case choose(HomeChoice)
    /// Leave without a choice (`q`).
    case quit
    /// Nothing to do for that key here: ring the bell.
    case bell
}
