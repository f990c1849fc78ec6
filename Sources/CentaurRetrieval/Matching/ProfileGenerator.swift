import CentaurCore
import Foundation

/// Synthetic dating-app profiles for the matching example: a place (a city with up to ~15 km of scatter), an age
/// with the age range sought, a gender and the one sought, and a free-form answer about books, TV, films and music
/// and how those tastes changed over time. Deterministic from a seed; every value invented.
public enum ProfileGenerator {
    struct City { let name: String; let latitude: Double; let longitude: Double }
    static let cities = [
        City(name: "Seattle", latitude: 47.6062, longitude: -122.3321), City(name: "Portland", latitude: 45.5152, longitude: -122.6784),
        City(name: "San Francisco", latitude: 37.7749, longitude: -122.4194), City(name: "Los Angeles", latitude: 34.0522, longitude: -118.2437),
        City(name: "Denver", latitude: 39.7392, longitude: -104.9903), City(name: "Austin", latitude: 30.2672, longitude: -97.7431),
        City(name: "Chicago", latitude: 41.8781, longitude: -87.6298), City(name: "Atlanta", latitude: 33.7490, longitude: -84.3880),
        City(name: "New York", latitude: 40.7128, longitude: -74.0060), City(name: "Boston", latitude: 42.3601, longitude: -71.0589),
    ]
    static let firstNames = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Harper", "Rowan",
                             "Maya", "Noah", "Iris", "Leo", "Nina", "Omar", "Ruth", "Theo", "Zoe", "Ezra", "Lena", "Felix"]
    static let genders = ["woman", "man", "nonbinary"]

    /// Taste areas, each with what someone might have liked then and likes now.
    static let books = ["literary fiction", "science fiction", "fantasy epics", "crime novels", "poetry", "history books", "graphic novels",
                        "romance novels", "philosophy", "nature writing", "Russian classics", "memoirs", "horror", "popular science"]
    static let bookTitles = ["Dune", "Middlemarch", "The Left Hand of Darkness", "The Secret History", "Beloved", "The Name of the Rose",
                             "Piranesi", "Station Eleven", "Anna Karenina", "The Overstory", "Gilead", "Neuromancer", "Persepolis", "Sapiens"]
    static let tv = ["prestige dramas", "sitcoms", "cooking shows", "nature documentaries", "reality competitions", "anime", "detective series",
                     "stand-up specials", "costume dramas", "sci-fi series", "true crime documentaries", "sketch comedy"]
    static let shows = ["The Wire", "Twin Peaks", "Parks and Recreation", "The Great British Bake Off", "Planet Earth", "Cowboy Bebop",
                        "Fleabag", "Succession", "Battlestar Galactica", "Columbo", "The Sopranos", "Severance"]
    static let films = ["French New Wave films", "horror films", "Studio Ghibli films", "westerns", "musicals", "action blockbusters",
                        "silent films", "indie dramas", "noir", "documentaries", "romantic comedies", "Korean cinema"]
    static let music = ["punk", "jazz", "classical", "hip-hop", "folk", "electronic music", "country", "metal", "soul", "indie rock",
                        "opera", "ambient music", "bluegrass", "K-pop", "blues", "synth-pop"]
    static let changes = [
        "In my twenties I would {then}; these days I {now}.", "I used to {then}, but lately I {now}.",
        "Growing up I would {then}. Now I mostly {now}.", "A few years ago I only wanted to {then}; now I {now}.",
    ]

    /// `count` profiles, the same for the same seed.
    public static func generate(count: Int, seed: UInt64 = 1) -> [[String: JSONValue]] {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func unit() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        return (0..<count).map { index in
            let city = pick(cities)
            // Scatter up to ~15 km: a degree of latitude is 111 km, of longitude 111 km × cos(latitude).
            let distance = 15 * unit().squareRoot(), angle = 2 * Double.pi * unit()
            let latitude = city.latitude + distance * cos(angle) / 111.0
            let longitude = city.longitude + distance * sin(angle) / (111.0 * cos(city.latitude * .pi / 180))
            let age = 21 + Int(random.next() % 45)
            let below = 2 + Int(random.next() % 8), above = 2 + Int(random.next() % 10)
            let gender = pick(genders)
            let seeking = unit() < 0.2 ? gender : pick(genders)
            let then = [
                "read \(pick(books)) like \(pick(bookTitles))", "watch \(pick(tv)) such as \(pick(shows))", "listen to \(pick(music)) all day",
                "go to see \(pick(films))",
            ]
            let now = [
                "read \(pick(books)), lately \(pick(bookTitles))", "rewatch \(pick(shows)) and other \(pick(tv))", "listen to \(pick(music)) and \(pick(music))",
                "seek out \(pick(films))",
            ]
            var sentences: [String] = []
            let first = Int(random.next() % 4)
            sentences.append(pick(changes).replacingOccurrences(of: "{then}", with: then[first]).replacingOccurrences(of: "{now}", with: now[(first + 1) % 4]))
            sentences.append("Favourite film genre: \(pick(films)). Music on repeat: \(pick(music)).")
            sentences.append(pick(["On a Sunday you'll find me with \(pick(bookTitles)).", "I will always defend \(pick(shows)).",
                                   "Looking for someone to argue about \(pick(films)) with.", "My last concert was \(pick(music))."]))
            let id = String(format: "p%05d", index + 1)
            return [
                "_id": .string(id), "name": .string(pick(firstNames)), "age": .number(Double(age)),
                "age_min": .number(Double(max(18, age - below))), "age_max": .number(Double(age + above)),
                "gender": .string(gender), "seeking": .string(seeking),
                "seeks_woman": .string(seeking == "woman" ? "yes" : "no"), "seeks_man": .string(seeking == "man" ? "yes" : "no"),
                "seeks_nonbinary": .string(seeking == "nonbinary" ? "yes" : "no"),
                "city": .string(city.name),
                "place": .object(["lat": .number((latitude * 1e5).rounded() / 1e5), "lon": .number((longitude * 1e5).rounded() / 1e5)]),
                "answer": .string(sentences.joined(separator: " ")),
            ]
        }
    }

    /// The metadata fields an index of these profiles needs (`centaur index create … --metadata-fields`).
    public static let metadataFields = ["age", "age_min", "age_max", "gender", "seeking", "seeks_woman", "seeks_man", "seeks_nonbinary", "city", "place"]
}

