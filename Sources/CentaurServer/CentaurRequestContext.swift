import CentaurStore
import Hummingbird

/// Per-request state on the HTTP side: the authenticated key, if any.
public struct CentaurRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The key that authenticated the request.
    public var key: APIKeyRecord?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Bodies are read with their own limit (``ServerSettings/maxBodyBytes``).
    public var maxUploadSize: Int { Int.max }
}
