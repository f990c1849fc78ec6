import Logging

extension Logger {
    /// A logger that writes nothing: the default of library types whose callers pass no logger (tests, small
    /// tools). Libraries never make a logger of their own; the composition root (`CentaurRuntime`) and the
    /// commands pass the configured one, so log levels and handlers are set in one place.
    public static let disabled = Logger(label: "centaur.disabled", factory: { _ in SwiftLogNoOpLogHandler() })
}
