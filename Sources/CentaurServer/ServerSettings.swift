import Foundation

/// How `centaur serve` listens and guards its doors.
public struct ServerSettings: Sendable, Hashable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// Request bodies larger than this get a 413.
    public var maxBodyBytes: Int
    /// When false, model endpoints accept requests without a key (for local development only).
    public var requireKeys: Bool

    public init(host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 32 << 20, requireKeys: Bool = true) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.requireKeys = requireKeys
    }
}
