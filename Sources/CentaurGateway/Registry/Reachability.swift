import AsyncHTTPClient
import CentaurCore
import CentaurProviders
import Foundation

/// Whether a configured model can be used now, and why not.
public struct Reachability: Sendable, Hashable, Codable {
    public var reachable: Bool
    /// A short explanation: what was checked, or what to fix.
    public var detail: String
}

extension ModelRegistry {
    /// Checks each model: configuration problems, installed files, and whether its server answers HTTP.
    public func reachability(of name: String, client: HTTPClient, timeout: Duration = .seconds(3)) async -> Reachability {
        let resolved: ResolvedModel
        do {
            resolved = try resolve(name)
        } catch {
            return Reachability(reachable: false, detail: "\(error)")
        }
        switch resolved.provider.settings {
        case .local(let local) where local.baseURL == nil:
            guard let server = localServers[resolved.provider.name] else { return Reachability(reachable: false, detail: "no local server") }
            do {
                try server.checkInstalled()
                return Reachability(reachable: true, detail: "installed; starts on demand")
            } catch {
                return Reachability(reachable: false, detail: "\(error)")
            }
        case .replay:
            let count = (resolved.model as? ReplayModel)?.count ?? 0
            return Reachability(reachable: true, detail: "cassette with \(count) recordings")
        default:
            let url: String
            switch resolved.model {
            case let model as OpenAICompatibleModel: url = model.configuration.baseURL
            case let model as AnthropicModel: url = model.configuration.baseURL
            case let model as BedrockModel: url = model.url(operation: "converse")
            default: return Reachability(reachable: true, detail: "no check for this provider")
            }
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            do {
                let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout.seconds * 1000)))
                _ = try? await response.body.collect(upTo: 1 << 16)
                return Reachability(reachable: true, detail: "\(url) answered HTTP \(response.status.code)")
            } catch {
                return Reachability(reachable: false, detail: "\(url) did not answer: \(error)")
            }
        }
    }
}
