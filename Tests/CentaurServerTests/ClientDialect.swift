import HTTPTypes

/// The model API a test client speaks: its path and the headers its SDK sends.
enum ClientDialect {
    case openAI, anthropic

    var path: String {
        switch self {
        case .openAI: "/v1/chat/completions"
        case .anthropic: "/v1/messages"
        }
    }

    func addHeaders(_ headers: inout HTTPFields) {
        if self == .anthropic { headers[HTTPField.Name("anthropic-version")!] = "2023-06-01" }
    }
}
