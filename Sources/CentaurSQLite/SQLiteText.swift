import CentaurCore
import Foundation

/// Fast text forms for hot inserts, identical to what GRDB itself would bind.
enum SQLiteText {
    /// "yyyy-MM-dd HH:mm:ss.SSS" in UTC, rounded to the nearest millisecond: GRDB's storage format for `Date`,
    /// without its `DateFormatter` (a per-value cost that showed in the gateway's profile).
    static func string(_ date: Date) -> String {
        let total = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(total.quotientAndRemainder(dividingBy: 1000).quotient)
        var milliseconds = Int(total - Int64(seconds) * 1000)
        if milliseconds < 0 { seconds -= 1; milliseconds += 1000 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(23)
        func put(_ value: Int, digits: Int) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            var value = value
            while divisor > 0 {
                out.append(UInt8(48 + (value / divisor) % 10))
                value %= divisor
                divisor /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, digits: 4); out.append(0x2D)
        put(Int(parts.tm_mon) + 1, digits: 2); out.append(0x2D)
        put(Int(parts.tm_mday), digits: 2); out.append(0x20)
        put(Int(parts.tm_hour), digits: 2); out.append(0x3A)
        put(Int(parts.tm_min), digits: 2); out.append(0x3A)
        put(Int(parts.tm_sec), digits: 2); out.append(0x2E)
        put(milliseconds, digits: 3)
        return String(decoding: out, as: UTF8.self)
    }

    /// A string map as compact JSON with sorted keys.
    static func json(_ tags: [String: String]) -> String {
        if tags.isEmpty { return "{}" }
        return String(decoding: JSONValue.object(tags.mapValues { .string($0) }).jsonBytes(), as: UTF8.self)
    }
}
