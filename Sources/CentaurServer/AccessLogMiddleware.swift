import CentaurCore
import CentaurGateway
import Hummingbird
import HTTPTypes
import Logging

/// One structured line per request: its id, method, the route it matched (the template, such as
/// `/apply/{token}`, or `NotFound`, so link tokens and ids never reach the log), status and latency. Never bodies, queries,
/// headers or keys. Every response carries the id in `x-request-id` (the gateway's own id for model calls).
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            // Rendered here, as the server would, so the answer carries its request id too.
            response = try error.response(from: request, context: context)
        } catch {
            log(request, context: context, status: 500, id: GatewayContext.newRequestID(), started: started)
            throw error
        }
        let id = response.headers[.requestID] ?? GatewayContext.newRequestID()
        response.headers[.requestID] = id
        log(request, context: context, status: response.status.code, id: id, started: started)
        return response
    }

    private func log(_ request: Request, context: Context, status: Int, id: String, started: ContinuousClock.Instant) {
        let milliseconds = (ContinuousClock.now - started).seconds * 1000
        logger.info("request", metadata: [
            "request.id": "\(id)",
            "http.method": "\(request.method.rawValue)",
            "http.route": "\(context.endpointPath ?? "-")",
            "http.status": "\(status)",
            "latency.ms": "\((milliseconds * 1000).rounded() / 1000)",
        ])
    }
}
