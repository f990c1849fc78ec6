import Foundation

/// The word lists the recognisers read, loaded once from the target's resources (see
/// `Resources/pii/README.md` for where each comes from).
public struct PIILexicon: Sendable {
    public let firstNames: Set<String>
    public let surnames: Set<String>
    /// Places, lower-cased: countries, capitals, US states, cities of 15,000+ people.
    public let places: Set<String>
    /// The longest place name in words, to bound multi-word lookups.
    public let longestPlace: Int
    public let englishWords: Set<String>
    /// Country and US state names, lower-cased: places even where they are also given names ("France").
    public let countries: Set<String>

    public static let shared = PIILexicon()

    /// Words written with a capital that are not names: days, months, the pronoun, greetings.
    static let capitalisedWords: Set<String> = [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april",
        "may", "june", "july", "august", "september", "october", "november", "december", "i", "i'm", "i'll", "i've", "i'd",
        "ok", "okay", "hi", "hello", "dear", "thanks", "bot", "user", "re", "fwd", "subject", "note", "ps", "mr", "mrs", "ms", "dr",
        "english", "god", "christmas", "easter", "internet", "tv", "usa", "us", "uk", "eu", "un", "ceo", "cto", "cfo", "id",
    ]

    init() {
        func load(_ name: String) -> [String] {
            guard let url = Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Resources/pii")
                ?? Bundle.module.url(forResource: name, withExtension: "txt"),
                  let text = try? String(contentsOf: url, encoding: .utf8)
            else { return [] }
            return text.split(separator: "\n").map { String($0) }
        }
        firstNames = Set(load("first-names"))
        surnames = Set(load("surnames"))
        let placeList = load("places").map { $0.lowercased() }
        places = Set(placeList)
        longestPlace = min(5, placeList.map { $0.split(separator: " ").count }.max() ?? 1)
        englishWords = Set(load("english-words")).union(Self.capitalisedWords)
        countries = Set(load("countries").map { $0.lowercased() })
    }
}
