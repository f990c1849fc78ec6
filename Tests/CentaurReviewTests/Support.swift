import CentaurCore
import CentaurExtraction
import CentaurReview
import CentaurRules
import CentaurStore
import CentaurTestSupport
import Foundation

enum Fixtures {
    /// A service over fresh in-memory stores (the SQLite backend runs the same contracts in CentaurStoreTests).
    static func service(pipeline: DocumentPipeline = DocumentPipeline(modelUse: .never)) throws -> (OnboardingService, InMemoryStore) {
        let store = InMemoryStore()
        let service = OnboardingService(store: store, blobs: InMemoryBlobStore(), ruleSet: try RuleSet.builtIn(named: "driver-onboarding"),
                                        pipeline: pipeline)
        return (service, store)
    }
}
