import BuildCore

/// The state of the whole build, as the header shows it.
public enum BuildStatus: String, Sendable, Equatable {
    case running, succeeded, failed, canceled

    init(_ status: BuildFinish.Status) {
        switch status {
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .canceled: self = .canceled
        }
    }
}
