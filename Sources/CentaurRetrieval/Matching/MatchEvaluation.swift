import Foundation

/// The matching example's eval: candidates against exhaustive search, profile by profile.
public enum MatchEvaluation {
    public struct Report: Sendable, Hashable, Encodable {
        public var profiles: Int
        /// Profiles with at least one compatible person.
        public var withCandidates: Int
        public var meanCandidates: Double
        /// Mean recall@K over profiles with candidates (1 when there are none).
        public var meanRecall: Double
        public var minimumRecall: Double
        /// Candidates that do not pass the hard filters when checked with plain code.
        public var filterViolations: Int

        enum CodingKeys: String, CodingKey {
            case profiles
            case withCandidates = "with_candidates"
            case meanCandidates = "mean_candidates"
            case meanRecall = "mean_recall"
            case minimumRecall = "minimum_recall"
            case filterViolations = "filter_violations"
        }
    }

    public static func run(_ matcher: Matcher, profiles: Int, withinKilometres: Double, candidates: Int) async throws -> Report {
        let ids = matcher.collection.documents.keys.sorted().prefix(profiles)
        var recalls: [Double] = []
        var total = 0, violations = 0
        for id in ids {
            let request = Matcher.Request(profile: id, withinKilometres: withinKilometres, candidates: candidates)
            let found = try await matcher.candidates(request)
            let reference = try await matcher.exhaustive(request)
            let me = try matcher.profile(id)
            violations += found.filter { hit in !Matcher.compatible(me, matcher.collection.documents[hit.id]!, withinKilometres: withinKilometres) }.count
            guard !reference.isEmpty else { continue }
            total += found.count
            recalls.append(Double(Set(found.map(\.id)).intersection(reference).count) / Double(reference.count))
        }
        return Report(profiles: ids.count, withCandidates: recalls.count, meanCandidates: recalls.isEmpty ? 0 : Double(total) / Double(recalls.count),
                      meanRecall: recalls.isEmpty ? 1 : recalls.reduce(0, +) / Double(recalls.count), minimumRecall: recalls.min() ?? 1,
                      filterViolations: violations)
    }
}
