/// The address a request's limits count against.
public enum ClientAddress {
    /// The peer, or the nearest untrusted hop of `X-Forwarded-For` when the peer is a trusted proxy. A client cannot
    /// choose it by sending the header itself.
    public static func of(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String {
        let peer = peer ?? "unknown"
        guard trustedProxies.contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return hops.last { !trustedProxies.contains($0) } ?? peer
    }
}
