import CentaurCore
import Foundation

/// A point on the Earth, in degrees.
public struct GeoPoint: Sendable, Hashable, Codable {
    public var latitude: Double
    public var longitude: Double
    public init(latitude: Double, longitude: Double) { self.latitude = latitude; self.longitude = longitude }

    /// Great-circle distance in kilometres (haversine, mean Earth radius 6,371.0088 km).
    public func kilometres(to other: GeoPoint) -> Double {
        let radians = Double.pi / 180
        let dLat = (other.latitude - latitude) * radians, dLon = (other.longitude - longitude) * radians
        let a = sin(dLat / 2) * sin(dLat / 2) + cos(latitude * radians) * cos(other.latitude * radians) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * 6_371.0088 * asin(min(1, sqrt(a)))
    }
}

/// A typed metadata field of a document: text, a number, a date (day or instant), or a place.
public enum MetadataValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case date(Date)
    case geo(GeoPoint)

    /// From JSON input: numbers stay numbers, `YYYY-MM-DD` or ISO 8601 strings become dates, `{"lat", "lon"}` (or
    /// `latitude`/`longitude`) a place, anything else text; nil for null, arrays and other objects.
    public static func from(json value: JSONValue) -> MetadataValue? {
        switch value {
        case .number(let number): return .number(number)
        case .bool(let flag): return .string(flag ? "true" : "false")
        case .string(let text): return parseDate(text).map(MetadataValue.date) ?? .string(text)
        case .object(let object):
            guard case .number(let lat)? = object["lat"] ?? object["latitude"],
                  case .number(let lon)? = object["lon"] ?? object["lng"] ?? object["longitude"] else { return nil }
            return .geo(GeoPoint(latitude: lat, longitude: lon))
        case .null, .array: return nil
        }
    }

    /// `YYYY-MM-DD` (midnight UTC) or an ISO 8601 instant.
    public static func parseDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        if bytes.count == 10, bytes[4] == 45, bytes[7] == 45 {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            return formatter.date(from: text)
        }
        guard bytes.count >= 20, bytes[4] == 45, bytes[10] == 84 else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// The value as plain JSON, as APIs show it: text and numbers as themselves, a date as ISO 8601 text (a day as
    /// `YYYY-MM-DD`), a place as `{"lat", "lon"}` — the forms ``from(json:)`` reads back.
    public var json: JSONValue {
        switch self {
        case .string(let text): return .string(text)
        case .number(let number): return .number(number)
        case .date(let date):
            let formatter = ISO8601DateFormatter()
            if date.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) == 0 { formatter.formatOptions = [.withFullDate] }
            return .string(formatter.string(from: date))
        case .geo(let point): return .object(["lat": .number(point.latitude), "lon": .number(point.longitude)])
        }
    }

    /// The value as a number, for ranges: numbers, and dates as seconds since 1970.
    var ordinal: Double? {
        switch self {
        case .number(let number): return number
        case .date(let date): return date.timeIntervalSince1970
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .string(let text): return text
        case .number(let number): return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .date(let date): return ISO8601DateFormatter().string(from: date)
        case .geo(let point): return "\(point.latitude),\(point.longitude)"
        }
    }

    enum CodingKeys: String, CodingKey { case string, number, date, geo }
}

/// Which documents a search may return, by their metadata.
public indirect enum RetrievalFilter: Sendable, Hashable, CustomStringConvertible {
    /// The field equals the value (text exactly; numbers and dates by value).
    case equals(String, MetadataValue)
    /// The field is not equal to the value (or missing).
    case notEquals(String, MetadataValue)
    /// A number or date within bounds; nil is unbounded.
    case range(String, lower: Bound?, upper: Bound?)
    /// A place within `kilometres` of `center`.
    case within(String, center: GeoPoint, kilometres: Double)
    /// Every one of them.
    case all([RetrievalFilter])

    public struct Bound: Sendable, Hashable {
        public var value: MetadataValue
        public var inclusive: Bool
        public init(_ value: MetadataValue, inclusive: Bool) { self.value = value; self.inclusive = inclusive }
    }

    public func matches(_ metadata: [String: MetadataValue]) -> Bool {
        switch self {
        case .equals(let field, let value):
            guard let actual = metadata[field] else { return false }
            if let a = actual.ordinal, let b = value.ordinal { return a == b }
            return actual == value
        case .notEquals(let field, let value):
            return !RetrievalFilter.equals(field, value).matches(metadata)
        case .range(let field, let lower, let upper):
            guard let actual = metadata[field]?.ordinal else { return false }
            if let lower, let bound = lower.value.ordinal, lower.inclusive ? actual < bound : actual <= bound { return false }
            if let upper, let bound = upper.value.ordinal, upper.inclusive ? actual > bound : actual >= bound { return false }
            return true
        case .within(let field, let center, let kilometres):
            guard case .geo(let point)? = metadata[field] else { return false }
            return point.kilometres(to: center) <= kilometres
        case .all(let filters):
            return filters.allSatisfy { $0.matches(metadata) }
        }
    }

    public var description: String {
        switch self {
        case .equals(let field, let value): return "\(field)=\(value)"
        case .notEquals(let field, let value): return "\(field)!=\(value)"
        case .range(let field, let lower, let upper):
            return [lower.map { "\(field)\($0.inclusive ? ">=" : ">")\($0.value)" }, upper.map { "\(field)\($0.inclusive ? "<=" : "<")\($0.value)" }]
                .compactMap { $0 }.joined(separator: " and ")
        case .within(let field, let center, let kilometres): return "near(\(field), \(center.latitude), \(center.longitude), \(kilometres)km)"
        case .all(let filters): return filters.map(\.description).joined(separator: " and ")
        }
    }

    /// Parses the CLI's and the API's filter language: conditions joined by `and` (or commas) —
    /// `field=value`, `field!=value`, `field>=N`, `field>N`, `field<=N`, `field<N` (numbers or `YYYY-MM-DD` dates),
    /// and `near(field, LAT, LON, 25km)`. Values are text unless they read as a number or a date; quote a value
    /// (`team="42"`) to keep it text.
    public static func parse(_ expression: String) throws -> RetrievalFilter {
        var parts: [String] = []
        var current = "", depth = 0, quoted = false
        let text = expression.replacingOccurrences(of: " and ", with: ",").replacingOccurrences(of: " AND ", with: ",")
        for character in text {
            if character == "\"" { quoted.toggle() }
            if !quoted && character == "(" { depth += 1 }
            if !quoted && character == ")" { depth -= 1 }
            if character == ",", depth == 0, !quoted {
                parts.append(current); current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        let conditions = try parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(condition)
        guard !conditions.isEmpty else { throw RetrievalError.badFilter(expression, "it has no condition") }
        return conditions.count == 1 ? conditions[0] : .all(conditions)
    }

    private static func condition(_ text: String) throws -> RetrievalFilter {
        if text.lowercased().hasPrefix("near(") {
            guard text.hasSuffix(")") else { throw RetrievalError.badFilter(text, "near(...) needs its closing parenthesis") }
            let inner = text.dropFirst(5).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard inner.count == 4, let lat = Double(inner[1]), let lon = Double(inner[2]), (-90...90).contains(lat), (-180...180).contains(lon)
            else { throw RetrievalError.badFilter(text, "write near(FIELD, LATITUDE, LONGITUDE, 25km)") }
            var radius = inner[3].lowercased()
            var factor = 1.0
            if radius.hasSuffix("km") { radius.removeLast(2) } else if radius.hasSuffix("mi") { radius.removeLast(2); factor = 1.609344 }
            guard let distance = Double(radius.trimmingCharacters(in: .whitespaces)), distance >= 0 else {
                throw RetrievalError.badFilter(text, "the radius must be a distance such as 25km or 10mi")
            }
            return .within(inner[0], center: GeoPoint(latitude: lat, longitude: lon), kilometres: distance * factor)
        }
        for op in ["!=", ">=", "<=", "=", ">", "<"] {
            guard let range = text.range(of: op) else { continue }
            let field = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let raw = text[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard !field.isEmpty, !raw.isEmpty else { throw RetrievalError.badFilter(text, "write FIELD\(op)VALUE") }
            let value = literal(raw)
            switch op {
            case "=": return .equals(field, value)
            case "!=": return .notEquals(field, value)
            default:
                guard value.ordinal != nil else { throw RetrievalError.badFilter(text, "\(op) compares numbers or dates (YYYY-MM-DD)") }
                let bound = Bound(value, inclusive: op.hasSuffix("="))
                return op.hasPrefix(">") ? .range(field, lower: bound, upper: nil) : .range(field, lower: nil, upper: bound)
            }
        }
        throw RetrievalError.badFilter(text, "use =, !=, >=, >, <=, < or near(...)")
    }

    private static func literal(_ raw: String) -> MetadataValue {
        if raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") { return .string(String(raw.dropFirst().dropLast())) }
        if let number = Double(raw) { return .number(number) }
        if let date = MetadataValue.parseDate(raw) { return .date(date) }
        return .string(raw)
    }
}

/// What retrieval refuses, each with what to do instead.
public enum RetrievalError: Error, Sendable, Equatable, CustomStringConvertible {
    case badFilter(String, String)
    case badInput(String)
    case notFound(String)
    case unavailable(String)
    /// A conditional write found the stored index changed (or created) since it was read.
    case conflict(String)

    public var description: String {
        switch self {
        case .badFilter(let expression, let why): return "cannot read the filter \"\(expression)\": \(why)"
        case .badInput(let message), .notFound(let message), .unavailable(let message), .conflict(let message): return message
        }
    }
}
