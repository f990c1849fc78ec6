import HTTPTypes

extension HTTPField.Name {
    /// Header names the endpoints and the key check read or write on every request, parsed once.
    static let anthropicVersion = HTTPField.Name("anthropic-version")!
    static let centaurCache = HTTPField.Name("x-centaur-cache")!
    static let centaurCacheControl = HTTPField.Name("x-centaur-cache-control")!
    static let requestID = HTTPField.Name("x-request-id")!
    static let xAPIKey = HTTPField.Name("x-api-key")!
    static let azureAPIKey = HTTPField.Name("api-key")!
}
