import CentaurCore
import CentaurReview
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import CentaurServer

/// Each route group renders every failure once, in the shape its clients parse.
@Suite("Error shapes")
struct ErrorShapeTests {
    @Test("one error, three shapes: OpenAI's, Anthropic's (529 when overloaded) and the onboarding API's, each with retry-after")
    func shapes() async throws {
        let overloaded = APIError(.overloaded, "busy", retryAfter: .milliseconds(1_200))
        let openAI = OpenAIChatAPI.response(for: overloaded)
        let anthropic = AnthropicMessagesAPI.response(for: overloaded)
        let onboarding = OnboardingErrors.response(for: overloaded)
        #expect(openAI.status.code == 503 && anthropic.status.code == 529 && onboarding.status.code == 503)
        for response in [openAI, anthropic, onboarding] { #expect(response.headers[.retryAfter] == "2") }
        #expect(OpenAIChatAPI.errorBody(overloaded) == ["error": ["message": "busy", "type": "server_error", "param": .null, "code": "overloaded"]])
        #expect(AnthropicMessagesAPI.errorBody(overloaded) == ["type": "error", "error": ["type": "overloaded_error", "message": "busy"]])
    }

    @Test("a budget store that does not answer is a 503 in each API's shape, never a 502 blamed on the upstream")
    func storeDown() {
        let error = APIError(any: ModelError(kind: .storeUnavailable, message: "the budget store does not answer", retryAfter: .seconds(5)))
        let openAI = OpenAIChatAPI.response(for: error), anthropic = AnthropicMessagesAPI.response(for: error)
        #expect(openAI.status.code == 503 && anthropic.status.code == 503 && OnboardingErrors.response(for: error).status.code == 503)
        #expect(openAI.headers[.retryAfter] == "5" && anthropic.headers[.retryAfter] == "5")
        #expect(OpenAIChatAPI.errorBody(error)["error"]?["code"] == "service_unavailable")
        #expect(AnthropicMessagesAPI.errorBody(error) == ["type": "error", "error": ["type": "api_error", "message": "the budget store does not answer"]])
    }

    @Test("what handlers throw becomes the error a client sees: workflow, model and HTTP errors keep their meaning; anything else is a 500 that says what failed")
    func conversions() {
        let wrong = APIError(any: WorkflowError(.wrongDocument, "that is an I-9"))
        #expect(wrong.status == .unprocessableContent && wrong.code == "wrong_document")
        #expect(APIError(any: WorkflowError(.conflict, "decided already")).status == .conflict)
        let missing = APIError(any: WorkflowError(.notFound, "no application a1"))
        #expect(missing.status == .notFound && missing.code == "not_found")
        let limited = APIError(any: ModelError(kind: .rateLimited, message: "slow down", retryAfter: .seconds(3)))
        #expect(limited.status == .tooManyRequests && limited.retryAfter == .seconds(3))
        #expect(APIError(any: HTTPError(.forbidden)).kind == .permission)
        struct Odd: Error {}
        let odd = APIError(any: Odd())
        #expect(odd.status == .internalServerError && odd.message.hasPrefix("the request failed"))
    }
}
