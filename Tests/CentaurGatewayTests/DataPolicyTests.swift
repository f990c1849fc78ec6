import CentaurConfiguration
import CentaurGateway
import CentaurGuardrails
import Testing

@Suite("Data-processing policy per name")
struct DataPolicyTests {
    static let yaml = """
        providers:
          vendor: { kind: openai, base_url: "http://127.0.0.1:9/v1", api_key: k, pii: [EMAIL_ADDRESS, PERSON] }
          own: { kind: openai, base_url: "http://127.0.0.1:9/v1", api_key: k, pii: all }
          other: { kind: anthropic, api_key: k }
        models:
          trusted: { provider: own, id: t }
          partly: { provider: vendor, id: p }
          hosted: { provider: other, id: h }
        routes:
          mixed: { targets: [trusted, partly] }
          fallback: { targets: [hosted, trusted] }
        """

    @Test("models get their provider's policy, routes the strictest of their targets, unknown names nothing")
    func allowedPerName() throws {
        let policy = DataPolicy(configuration: try ConfigurationLoader(environment: [:]).parse(Self.yaml, source: "c.yaml"))
        #expect(policy.allowed(for: "partly") == [.emailAddress, .person])
        #expect(policy.allowed(for: "hosted").isEmpty)
        #expect(policy.allowed(for: "mixed") == [.emailAddress, .person])
        #expect(policy.allowed(for: "trusted") == Set(PIIType.allCases))
        // A fallback to a less trusted target narrows what the whole route may send.
        #expect(policy.allowed(for: "fallback").isEmpty)
        #expect(policy.allowed(for: "nobody-configured-this").isEmpty)
        #expect(policy.restrictsAny)
    }
}
