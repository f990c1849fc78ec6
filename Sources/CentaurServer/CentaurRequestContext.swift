import CentaurStore
import CentaurWeb
import Hummingbird
import NIOCore

/// Per-request state on the HTTP side: the authenticated key, if any.
public struct CentaurRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The key that authenticated the request.
    public var key: APIKeyRecord?
    /// The connection's peer (nil in in-process tests).
    public var remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's address for limits (``ClientAddress``).
    public func clientAddress(forwardedFor: String?, trustedProxies: Set<String>) -> String {
        ClientAddress.of(peer: remoteAddress?.ipAddress, forwardedFor: forwardedFor, trustedProxies: trustedProxies)
    }

    /// Bodies are read with their own limit (``ServerSettings/maxBodyBytes``).
    public var maxUploadSize: Int { Int.max }
}
