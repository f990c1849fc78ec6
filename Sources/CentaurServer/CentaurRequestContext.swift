import CentaurStore
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

    /// The client's address for limits: the peer, or the nearest untrusted hop of `X-Forwarded-For` when the
    /// peer is a trusted proxy. A client cannot choose it by sending the header itself.
    public func clientAddress(forwardedFor: String?, trustedProxies: Set<String>) -> String {
        Self.clientAddress(peer: remoteAddress?.ipAddress, forwardedFor: forwardedFor, trustedProxies: trustedProxies)
    }

    static func clientAddress(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String {
        let peer = peer ?? "unknown"
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? peer
    }

    /// Bodies are read with their own limit (``ServerSettings/maxBodyBytes``).
    public var maxUploadSize: Int { Int.max }
}
